package localrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
)

// putItems writes items item-00 … item-(n-1) in that order.
func (e env) putItems(t *testing.T, n int) {
	t.Helper()
	table, err := e.st.TableName("Table")
	if err != nil {
		t.Fatalf("TableName: %v", err)
	}
	for i := range n {
		_, err := e.ddb.PutItem(context.Background(), &dynamodb.PutItemInput{
			TableName: aws.String(table),
			Item: map[string]ddbtypes.AttributeValue{
				"pk": &ddbtypes.AttributeValueMemberS{Value: key(i)},
				"n":  &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(i)},
			},
		})
		if err != nil {
			t.Fatalf("PutItem %d: %v", i, err)
		}
	}
}

func key(i int) string { return fmt.Sprintf("item-%02d", i) }

func keys(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, key(i))
	}
	return out
}

func recordKey(r events.DynamoDBEventRecord) string {
	return r.Change.Keys["pk"].String()
}

func TestRuntime_StreamInOrderExactlyOnce(t *testing.T) {
	e := deploy(t, "stream.yaml")
	streamARN, err := e.st.TableStreamARN(context.Background(), "Table")
	if err != nil {
		t.Fatalf("TableStreamARN: %v", err)
	}
	var (
		seen     recorder
		mu       sync.Mutex
		first    *events.DynamoDBEventRecord
		maxBatch int
	)
	relay := func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		mu.Lock()
		if first == nil {
			first = &ev.Records[0]
		}
		maxBatch = max(maxBatch, len(ev.Records))
		mu.Unlock()
		for _, r := range ev.Records {
			seen.add(recordKey(r))
		}
		return events.DynamoDBEventResponse{}, nil
	}
	rt := e.runtime(t, app.Handlers{Stream: map[string]app.StreamHandler{"RelayFunction": relay}}, nil)
	start(t, rt)
	e.putItems(t, 30)

	stacktest.Eventually(t, 15*time.Second, "30 records", func() bool { return len(seen.list()) >= 30 })
	time.Sleep(500 * time.Millisecond) // nothing more may arrive
	if diff := cmp.Diff(keys(0, 30), seen.list()); diff != "" {
		t.Errorf("records in order, exactly once (-want +got):\n%s", diff)
	}
	mu.Lock()
	if maxBatch > 10 {
		t.Errorf("batch of %d records, want at most BatchSize 10", maxBatch)
	}
	mu.Unlock()

	t.Run("record shape", func(t *testing.T) {
		mu.Lock()
		r := *first
		mu.Unlock()
		got := map[string]any{
			"eventName":      r.EventName,
			"eventSource":    r.EventSource,
			"eventVersion":   r.EventVersion,
			"eventSourceARN": r.EventSourceArn,
			"awsRegion":      r.AWSRegion,
			"hasEventID":     r.EventID != "",
			"viewType":       r.Change.StreamViewType,
			"hasSequence":    r.Change.SequenceNumber != "",
			"hasSize":        r.Change.SizeBytes > 0,
			"recent":         time.Since(r.Change.ApproximateCreationDateTime.Time) < time.Minute,
			"newImageN":      r.Change.NewImage["n"].Number(),
			"hasOldImage":    r.Change.OldImage != nil,
		}
		want := map[string]any{
			"eventName": "INSERT", "eventSource": "aws:dynamodb", "eventVersion": "1.1", "eventSourceARN": streamARN,
			"awsRegion": "us-east-1", "hasEventID": true, "viewType": "NEW_AND_OLD_IMAGES", "hasSequence": true,
			"hasSize": true, "recent": true, "newImageN": "0", "hasOldImage": false,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stream record (-want +got):\n%s", diff)
		}
	})
}

func TestRuntime_StreamPartialFailureRetriesFromFailedRecord(t *testing.T) {
	e := deploy(t, "stream.yaml")
	const failing = 13 // in the middle of the second batch of 10

	var (
		mu        sync.Mutex
		failed    bool
		delivered = map[string]int{}
		processed recorder
	)
	relay := func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range ev.Records {
			delivered[recordKey(r)]++
		}
		for _, r := range ev.Records {
			if recordKey(r) == key(failing) && !failed {
				failed = true
				// Stop here: the records after it will be delivered again.
				return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: r.Change.SequenceNumber}}}, nil
			}
			processed.add(recordKey(r))
		}
		return events.DynamoDBEventResponse{}, nil
	}
	e.putItems(t, 30)
	rt := e.runtime(t, app.Handlers{Stream: map[string]app.StreamHandler{"RelayFunction": relay}}, nil)
	start(t, rt)

	stacktest.Eventually(t, 15*time.Second, "30 records processed", func() bool { return len(processed.list()) >= 30 })
	time.Sleep(500 * time.Millisecond)
	if diff := cmp.Diff(keys(0, 30), processed.list()); diff != "" {
		t.Errorf("processed in order, exactly once (-want +got):\n%s", diff)
	}

	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{}
	for i := range 30 {
		want[key(i)] = 1
	}
	// The first batch is 10..19; 13 fails, so 10..12 count as processed and
	// 13..19 come again.
	for i := failing; i < 20; i++ {
		want[key(i)] = 2
	}
	if diff := cmp.Diff(want, delivered); diff != "" {
		t.Errorf("deliveries per record (-want +got):\n%s", diff)
	}
}

func TestRuntime_StreamRetriesExhaustedGoesToOnFailureQueue(t *testing.T) {
	e := deploy(t, "stream.yaml")
	streamARN, err := e.st.TableStreamARN(context.Background(), "Table")
	if err != nil {
		t.Fatalf("TableStreamARN: %v", err)
	}
	const poison = 4

	var (
		processed recorder
		mu        sync.Mutex
		poisonSeq string
		attempts  int
	)
	// All or nothing: a batch holding the poison record fails as a whole,
	// so bisection has to isolate it.
	relay := func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		for _, r := range ev.Records {
			if recordKey(r) == key(poison) {
				mu.Lock()
				poisonSeq = r.Change.SequenceNumber
				if len(ev.Records) == 1 {
					attempts++
				}
				mu.Unlock()
				return events.DynamoDBEventResponse{}, errors.New("cannot relay")
			}
		}
		for _, r := range ev.Records {
			processed.add(recordKey(r))
		}
		return events.DynamoDBEventResponse{}, nil
	}
	e.putItems(t, 12)
	rt := e.runtime(t, app.Handlers{Stream: map[string]app.StreamHandler{"RelayFunction": relay}}, nil)
	start(t, rt)

	failures := e.queueURL(t, "RelayFailureQueue")
	var bodies []string
	stacktest.Eventually(t, 15*time.Second, "on-failure message", func() bool {
		bodies = append(bodies, e.drain(t, failures)...)
		return len(bodies) > 0
	})
	stacktest.Eventually(t, 10*time.Second, "the other 11 records processed", func() bool { return len(processed.list()) >= 11 })
	time.Sleep(500 * time.Millisecond)

	want := append(keys(0, poison), keys(poison+1, 12)...)
	if diff := cmp.Diff(want, processed.list()); diff != "" {
		t.Errorf("processed in order, exactly once (-want +got):\n%s", diff)
	}
	if len(bodies) != 1 {
		t.Fatalf("on-failure messages = %d, want 1: %v", len(bodies), bodies)
	}
	var rec localrun.OnFailureRecord
	if err := json.Unmarshal([]byte(bodies[0]), &rec); err != nil {
		t.Fatalf("on-failure record %q: %v", bodies[0], err)
	}
	mu.Lock()
	got := map[string]any{
		"condition": rec.RequestContext.Condition, "invokes": rec.RequestContext.ApproximateInvokeCount,
		"functionError": rec.ResponseContext.FunctionError, "start": rec.DDBStreamBatchInfo.StartSequenceNumber,
		"end": rec.DDBStreamBatchInfo.EndSequenceNumber, "size": rec.DDBStreamBatchInfo.BatchSize,
		"stream": rec.DDBStreamBatchInfo.StreamARN, "hasShard": rec.DDBStreamBatchInfo.ShardID != "",
		"hasArrival": rec.DDBStreamBatchInfo.ApproximateArrivalOfFirstRecord != "", "singleAttempts": attempts,
	}
	wantRec := map[string]any{
		"condition": "RetryAttemptsExhausted", "invokes": 3, "functionError": "Unhandled", "start": poisonSeq,
		"end": poisonSeq, "size": 1, "stream": streamARN, "hasShard": true, "hasArrival": true,
		// MaximumRetryAttempts 2: one attempt plus two retries once isolated.
		"singleAttempts": 3,
	}
	mu.Unlock()
	if diff := cmp.Diff(wantRec, got); diff != "" {
		t.Errorf("on-failure record (-want +got):\n%s", diff)
	}
}
