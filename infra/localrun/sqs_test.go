package localrun_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
)

func noSQS(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return events.SQSEventResponse{}, nil
}

func TestRuntime_SQSPartialBatchFailure(t *testing.T) {
	e := deploy(t, "sqs.yaml")
	queue := e.queueURL(t, "WorkQueue")
	queueARN, err := e.st.QueueARN(context.Background(), "WorkQueue")
	if err != nil {
		t.Fatalf("QueueARN: %v", err)
	}
	e.send(t, queue, "m0", "m1", "m2", "m3", "m4")

	var (
		delivered, processed recorder
		mu                   sync.Mutex
		first                *events.SQSMessage
	)
	failOnce := map[string]bool{"m1": true, "m3": true}
	worker := func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		var resp events.SQSEventResponse
		for _, m := range ev.Records {
			if first == nil {
				first = &m
			}
			delivered.add(m.Body)
			if failOnce[m.Body] {
				delete(failOnce, m.Body)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				continue
			}
			processed.add(m.Body)
		}
		return resp, nil
	}
	rt := e.runtime(t, app.Handlers{SQS: map[string]app.SQSHandler{"WorkerFunction": worker, "PoisonFunction": noSQS}}, nil)
	start(t, rt)

	stacktest.Eventually(t, 15*time.Second, "all 5 messages processed", func() bool { return len(processed.list()) == 5 })
	stacktest.Eventually(t, 5*time.Second, "queue empty", func() bool { return e.queueDepth(t, queue) == 0 })

	counts := map[string]int{}
	for _, b := range delivered.list() {
		counts[b]++
	}
	want := map[string]int{"m0": 1, "m1": 2, "m2": 1, "m3": 2, "m4": 1}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("deliveries per message (-want +got):\n%s", diff)
	}
	got := processed.list()
	sort.Strings(got)
	if diff := cmp.Diff([]string{"m0", "m1", "m2", "m3", "m4"}, got); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
	if dlq := e.drain(t, e.queueURL(t, "WorkDLQ")); len(dlq) != 0 {
		t.Errorf("DLQ got %v, want nothing", dlq)
	}

	t.Run("record shape", func(t *testing.T) {
		mu.Lock()
		m := *first
		mu.Unlock()
		got := map[string]any{
			"eventSource":    m.EventSource,
			"eventSourceARN": m.EventSourceARN,
			"awsRegion":      m.AWSRegion,
			"hasIDs":         m.MessageId != "" && m.ReceiptHandle != "" && m.Md5OfBody != "",
			"receiveCount":   m.Attributes["ApproximateReceiveCount"],
			"hasTimestamps":  m.Attributes["SentTimestamp"] != "" && m.Attributes["ApproximateFirstReceiveTimestamp"] != "",
			"attribute":      *m.MessageAttributes["kind"].StringValue,
			"attributeType":  m.MessageAttributes["kind"].DataType,
		}
		want := map[string]any{
			"eventSource": "aws:sqs", "eventSourceARN": queueARN, "awsRegion": "us-east-1", "hasIDs": true,
			"receiveCount": "1", "hasTimestamps": true, "attribute": "test", "attributeType": "String",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("SQS record (-want +got):\n%s", diff)
		}
	})
}

func TestRuntime_SQSPoisonMessageGoesToDLQ(t *testing.T) {
	e := deploy(t, "sqs.yaml")
	queue := e.queueURL(t, "PoisonQueue")
	dlq := e.queueURL(t, "PoisonDLQ")
	e.send(t, queue, "a", "poison", "b", "c", "d")

	var delivered, processed recorder
	invoked := make(chan struct{}, 100)
	handler := func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, m := range ev.Records {
			delivered.add(m.Body)
			if m.Body == "poison" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				continue
			}
			processed.add(m.Body)
		}
		invoked <- struct{}{}
		return resp, nil
	}
	rt := e.runtime(t, app.Handlers{SQS: map[string]app.SQSHandler{"WorkerFunction": noSQS, "PoisonFunction": handler}}, nil)
	start(t, rt)

	// More messages after the first failure, so that they share batches
	// with the retried poison message.
	select {
	case <-invoked:
	case <-time.After(10 * time.Second):
		t.Fatal("handler never invoked")
	}
	e.send(t, queue, "e", "f", "g")

	var inDLQ []string
	stacktest.Eventually(t, 20*time.Second, "poison message in the DLQ", func() bool {
		inDLQ = append(inDLQ, e.drain(t, dlq)...)
		return len(inDLQ) > 0
	})
	stacktest.Eventually(t, 5*time.Second, "queue empty", func() bool { return e.queueDepth(t, queue) == 0 })

	if diff := cmp.Diff([]string{"poison"}, inDLQ); diff != "" {
		t.Errorf("DLQ (-want +got):\n%s", diff)
	}
	got := processed.list()
	sort.Strings(got)
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e", "f", "g"}, got); diff != "" {
		t.Errorf("processed exactly once each (-want +got):\n%s", diff)
	}
	if n := delivered.count("poison"); n != 2 {
		t.Errorf("poison delivered %d times, want maxReceiveCount = 2", n)
	}
}

func TestRuntime_SQSHandlerErrorAndPanicFailWholeBatch(t *testing.T) {
	tests := []struct {
		name    string
		respond func(events.SQSEvent) (events.SQSEventResponse, error)
	}{
		{name: "error", respond: func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, context.DeadlineExceeded
		}},
		{name: "panic", respond: func(events.SQSEvent) (events.SQSEventResponse, error) {
			panic("boom")
		}},
		{name: "unknown item identifier", respond: func(events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "not-a-message"}}}, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := deploy(t, "sqs.yaml")
			queue := e.queueURL(t, "WorkQueue")
			e.send(t, queue, "x", "y", "z")

			var mu sync.Mutex
			calls := 0
			var delivered recorder
			worker := func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				mu.Lock()
				calls++
				n := calls
				mu.Unlock()
				for _, m := range ev.Records {
					delivered.add(m.Body)
				}
				if n == 1 {
					return tt.respond(ev)
				}
				return events.SQSEventResponse{}, nil
			}
			// Sub-second PollWait: short polls with pauses between them.
			rt := e.runtime(t, app.Handlers{SQS: map[string]app.SQSHandler{"WorkerFunction": worker, "PoisonFunction": noSQS}},
				func(c *localrun.Config) { c.PollWait = 200 * time.Millisecond })
			start(t, rt)

			stacktest.Eventually(t, 15*time.Second, "every message delivered twice", func() bool { return len(delivered.list()) >= 6 })
			stacktest.Eventually(t, 5*time.Second, "queue empty", func() bool { return e.queueDepth(t, queue) == 0 })
			for _, b := range []string{"x", "y", "z"} {
				if n := delivered.count(b); n != 2 {
					t.Errorf("%s delivered %d times, want 2 (whole first batch failed)", b, n)
				}
			}
		})
	}
}

func TestRuntime_SQSBatchLargerThanOneReceive(t *testing.T) {
	e := deploy(t, "batch.yaml")
	queue := e.queueURL(t, "BatchQueue")
	bodies := make([]string, 15)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("b%02d", i)
	}
	e.send(t, queue, bodies...)

	var (
		mu    sync.Mutex
		sizes []int
	)
	handler := func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(ev.Records))
		// Without ReportBatchItemFailures the response is ignored.
		return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[0].MessageId}}}, nil
	}
	rt := e.runtime(t, app.Handlers{SQS: map[string]app.SQSHandler{"BatchFunction": handler}}, nil)
	start(t, rt)

	stacktest.Eventually(t, 10*time.Second, "queue empty", func() bool { return e.queueDepth(t, queue) == 0 })
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]int{15}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
}
