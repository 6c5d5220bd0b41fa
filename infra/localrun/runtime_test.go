package localrun_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
)

func TestRuntime_ScheduleFires(t *testing.T) {
	e := deploy(t, "schedule.yaml")
	var (
		mu     sync.Mutex
		fired  []events.EventBridgeEvent
		reqIDs = map[string]bool{}
	)
	billing := func(ctx context.Context, ev events.EventBridgeEvent) error {
		mu.Lock()
		defer mu.Unlock()
		fired = append(fired, ev)
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			reqIDs[lc.AwsRequestID] = true
		}
		if len(fired) == 1 {
			return errors.New("first run fails; the schedule must go on")
		}
		return nil
	}
	rt := e.runtime(t, app.Handlers{Schedule: map[string]app.ScheduleHandler{"BillingFunction": billing}}, func(c *localrun.Config) {
		c.ScheduleEvery = map[string]time.Duration{"BillingFunction": 200 * time.Millisecond}
	})
	if diff := cmp.Diff([]string{"BillingFunction.Daily: Schedule rate(1 day), every 200ms (override)"}, rt.Sources()); diff != "" {
		t.Errorf("Sources (-want +got):\n%s", diff)
	}
	start(t, rt)

	stacktest.Eventually(t, 5*time.Second, "three scheduled invocations", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(fired) >= 3
	})
	mu.Lock()
	defer mu.Unlock()
	ev := fired[0]
	got := map[string]any{
		"version": ev.Version, "detailType": ev.DetailType, "source": ev.Source, "account": ev.AccountID,
		"region": ev.Region, "detail": string(ev.Detail), "resources": len(ev.Resources),
		"rule":     strings.Contains(ev.Resources[0], ":rule/"+e.st.Name+"-BillingFunctionDaily"),
		"uniqueID": ev.ID != "" && ev.ID != fired[1].ID, "timed": !ev.Time.IsZero(), "requestIDs": len(reqIDs) >= 3,
	}
	want := map[string]any{
		"version": "0", "detailType": "Scheduled Event", "source": "aws.events", "account": e.st.AccountID(),
		"region": "us-east-1", "detail": "{}", "resources": 1, "rule": true, "uniqueID": true, "timed": true, "requestIDs": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scheduled event (-want +got):\n%s", diff)
	}
}

func TestRuntime_RunStopsPromptly(t *testing.T) {
	sqsEnv := deploy(t, "sqs.yaml")
	streamEnv := deploy(t, "stream.yaml")
	queue := sqsEnv.queueURL(t, "WorkQueue")

	// One handler ignores its context and hangs, as a buggy one might.
	started := make(chan struct{})
	var once sync.Once
	hang := func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
		once.Do(func() { close(started) })
		time.Sleep(30 * time.Second)
		return events.SQSEventResponse{}, nil
	}
	relay := func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return events.DynamoDBEventResponse{}, nil
	}
	rtSQS := sqsEnv.runtime(t, app.Handlers{SQS: map[string]app.SQSHandler{"WorkerFunction": hang, "PoisonFunction": noSQS}}, nil)
	rtStream := streamEnv.runtime(t, app.Handlers{Stream: map[string]app.StreamHandler{"RelayFunction": relay}}, nil)
	stopSQS := start(t, rtSQS)
	stopStream := start(t, rtStream)
	sqsEnv.send(t, queue, "hang")

	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("handler never invoked")
	}
	time.Sleep(300 * time.Millisecond) // let the other pollers settle into long polls and sleeps

	tests := []struct {
		name string
		stop func() time.Duration
		max  time.Duration
	}{
		{name: "idle stream poller", stop: stopStream, max: time.Second},
		{name: "sqs poller with a hung handler", stop: stopSQS, max: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if took := tt.stop(); took > tt.max {
				t.Errorf("Run returned %s after cancel, want within %s", took, tt.max)
			}
		})
	}
}

func TestNew_Validation(t *testing.T) {
	tpl, err := stack.ParseTemplateFile("testdata/sqs.yaml")
	if err != nil {
		t.Fatalf("ParseTemplateFile: %v", err)
	}
	streamTpl, err := stack.ParseTemplateFile("testdata/stream.yaml")
	if err != nil {
		t.Fatalf("ParseTemplateFile: %v", err)
	}
	scheduleTpl, err := stack.ParseTemplateFile("testdata/schedule.yaml")
	if err != nil {
		t.Fatalf("ParseTemplateFile: %v", err)
	}
	kinesisTpl, err := stack.ParseTemplate(strings.NewReader(`
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        K:
          Type: Kinesis
          Properties: {Stream: arn:aws:kinesis:us-east-1:1:stream/s}
`))
	if err != nil {
		t.Fatalf("ParseTemplate: %v", err)
	}
	relay := func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return events.DynamoDBEventResponse{}, nil
	}
	tick := func(context.Context, events.EventBridgeEvent) error { return nil }

	tests := []struct {
		name        string
		tpl         *stack.Template
		handlers    app.Handlers
		wantErrs    []string
		wantSources []string
	}{
		{
			name:     "missing sqs handler",
			tpl:      tpl,
			handlers: app.Handlers{SQS: map[string]app.SQSHandler{"WorkerFunction": noSQS}},
			wantErrs: []string{"function PoisonFunction event Poison (SQS): no SQS handler registered for PoisonFunction"},
		},
		{
			name:     "missing stream handler",
			tpl:      streamTpl,
			wantErrs: []string{"function RelayFunction event Stream (DynamoDB): no Stream handler"},
		},
		{
			name:     "missing schedule handler",
			tpl:      scheduleTpl,
			wantErrs: []string{"function BillingFunction event Daily (Schedule): no Schedule handler"},
		},
		{
			name: "handler without a source",
			tpl:  streamTpl,
			handlers: app.Handlers{
				Stream: map[string]app.StreamHandler{"RelayFunction": relay},
				SQS:    map[string]app.SQSHandler{"RelayFunction": noSQS},
			},
			wantErrs: []string{"SQS handler registered for RelayFunction, but the template gives it no SQS event source"},
		},
		{
			name:     "event type that cannot be driven",
			tpl:      kinesisTpl,
			wantErrs: []string{"function F event K: event type Kinesis cannot be driven locally"},
		},
		{
			name:     "all sources handled",
			tpl:      tpl,
			handlers: app.Handlers{SQS: map[string]app.SQSHandler{"WorkerFunction": noSQS, "PoisonFunction": noSQS}},
			wantSources: []string{
				"PoisonFunction.Poison: SQS PoisonQueue (batch 10, partial batch failures)",
				"WorkerFunction.Work: SQS WorkQueue (batch 10, partial batch failures)",
			},
		},
		{
			name:     "stream source description",
			tpl:      streamTpl,
			handlers: app.Handlers{Stream: map[string]app.StreamHandler{"RelayFunction": relay}},
			wantSources: []string{
				"RelayFunction.Stream: DynamoDB stream of Table (TRIM_HORIZON, batch 10, retries 2, bisect on error, partial batch failures, on failure RelayFailureQueue)",
			},
		},
		{
			name:     "disabled schedule and http api need no handler",
			tpl:      scheduleTpl,
			handlers: app.Handlers{Schedule: map[string]app.ScheduleHandler{"BillingFunction": tick}},
			wantSources: []string{
				"BillingFunction.Daily: Schedule rate(1 day)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := localrun.New(localrun.Config{Stack: &stack.Stack{Name: "s", Template: tt.tpl}, Handlers: tt.handlers})
			if len(tt.wantErrs) > 0 {
				if err == nil {
					t.Fatalf("New succeeded, want errors %q", tt.wantErrs)
				}
				for _, want := range tt.wantErrs {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("New error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if diff := cmp.Diff(tt.wantSources, rt.Sources()); diff != "" {
				t.Errorf("Sources (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("no stack", func(t *testing.T) {
		if _, err := localrun.New(localrun.Config{}); err == nil {
			t.Fatal("New without a stack succeeded")
		}
	})
}
