package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// sampleFunction maps a file in events/ to its function: relay.json and
// billing-schedule.json belong to relay and billing.
func sampleFunction(file string) string {
	name := strings.TrimSuffix(filepath.Base(file), ".json")
	fn, _, _ := strings.Cut(name, "-")
	return fn
}

// decodeSample decodes a sample strictly into the aws-lambda-go type its
// function receives, so that a sample drifting from Lambda's shape fails.
func decodeSample(t *testing.T, fn string, raw []byte) any {
	t.Helper()
	var target any
	switch {
	case fn == "api", fn == "render", fn == "files":
		target = &events.APIGatewayV2HTTPRequest{}
	case fn == "relay":
		target = &events.DynamoDBEvent{}
	case strings.Contains(string(raw), `"detail-type"`):
		target = &events.EventBridgeEvent{}
	default:
		target = &events.SQSEvent{}
	}
	decodeStrict(t, raw, target)
	// The usage queue carries S3's notifications: their shape is AWS's too.
	if sqsEvent, ok := target.(*events.SQSEvent); ok && fn == "usage" {
		for _, m := range sqsEvent.Records {
			decodeStrict(t, []byte(m.Body), &events.S3Event{})
		}
	}
	return target
}

// decodeStrict decodes raw into target, refusing unknown fields and
// anything after the value.
func decodeStrict(t *testing.T, raw []byte, target any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(target); err != nil {
		t.Fatalf("decode into %T: %v", target, err)
	}
	if dec.More() {
		t.Fatalf("decode into %T: data after the value", target)
	}
}

func TestApp_LambdaHandler_Samples(t *testing.T) {
	env := stacktest.Shared(t)
	a := env.App(t, app.Options{})
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in events/: %v", err)
	}
	covered := map[string]bool{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fn := sampleFunction(file)
			covered[fn] = true
			typed := decodeSample(t, fn, raw)
			// Invoke with the typed value re-encoded, as Lambda hands the
			// handler exactly the JSON of its event type.
			again, err := json.Marshal(typed)
			if err != nil {
				t.Fatal(err)
			}
			shared, err := a.LambdaHandler(fn)
			if err != nil {
				t.Fatal(err)
			}
			// The handler the function's own binary builds, on services of
			// its own, answers the same sample.
			f, err := app.Lookup(fn)
			if err != nil {
				t.Fatal(err)
			}
			own, err := f.Lambda(a.Base)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []app.LambdaHandler{shared, own} {
				resp, err := h(context.Background(), again)
				if err != nil {
					t.Fatalf("%s: %v", fn, err)
				}
				checkResponse(t, fn, resp)
			}
		})
	}
	for _, fn := range app.Functions() {
		if !covered[fn] {
			t.Errorf("events/ has no sample for function %s", fn)
		}
	}
	// The relay sample's event reached the webhook queue.
	if !queueHas(t, env.AWS, env.Config.WebhookQueue, "EV-019aab3c5e000-sample0001") {
		t.Error("the relay sample was not published to the webhook queue")
	}
}

func checkResponse(t *testing.T, fn string, resp any) {
	t.Helper()
	switch r := resp.(type) {
	case events.APIGatewayV2HTTPResponse:
		// The render and files samples carry no token (tokens are made at
		// run time): their answer is the 401 of the routes' authentication.
		status, body := 200, `"status":"ok"`
		switch fn {
		case "render":
			status, body = 401, `"error_code":"AUTH_001"`
		case "files": // a /v1 route: Partner Center's error shape
			status, body = 401, `"code":800401`
		}
		if r.StatusCode != status || !strings.Contains(r.Body, body) {
			t.Errorf("%s answered %d %s", fn, r.StatusCode, r.Body)
		}
	case events.SQSEventResponse:
		if len(r.BatchItemFailures) != 0 {
			t.Errorf("%s failed items %v", fn, r.BatchItemFailures)
		}
	case events.DynamoDBEventResponse:
		if len(r.BatchItemFailures) != 0 {
			t.Errorf("%s failed items %v", fn, r.BatchItemFailures)
		}
	case nil:
		// A scheduled run answers nothing.
	default:
		t.Errorf("%s answered an unexpected %T", fn, resp)
	}
}

func queueHas(t *testing.T, cfg aws.Config, url, needle string) bool {
	t.Helper()
	client := sqs.NewFromConfig(cfg)
	for range 5 {
		out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if strings.Contains(aws.ToString(m.Body), needle) {
				return true
			}
		}
	}
	return false
}

func TestApp_LambdaHandler_Unknown(t *testing.T) {
	env := stacktest.Shared(t)
	a := env.App(t, app.Options{})
	if _, err := a.LambdaHandler("nope"); err == nil {
		t.Fatal("unknown function accepted")
	}
	h, err := a.LambdaHandler("fulfillment")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h(context.Background(), json.RawMessage(`{"hello": "world"}`)); err == nil {
		t.Error("fulfillment accepted an event that is neither SQS nor scheduled")
	}
}
