package stack_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/moto/mototest"
	"github.com/mercato-dev/mercato/infra/stack"
)

var emulator = mototest.New()

func TestMain(m *testing.M) { os.Exit(emulator.Main(m)) }

// uniqueName keeps stacks apart when AWS_ENDPOINT_URL points at a
// persistent emulator.
func uniqueName(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("rand: %v", err)
	}
	return prefix + "-" + hex.EncodeToString(b)
}

type deployed struct {
	cfg   aws.Config
	stack *stack.Stack
	tpl   *stack.Template
}

func deployTestStack(t *testing.T, ctx context.Context, params map[string]string) deployed {
	t.Helper()
	cfg := emulator.Config(t)
	tpl, err := stack.ParseTemplateFile("testdata/stack.yaml")
	if err != nil {
		t.Fatalf("ParseTemplateFile: %v", err)
	}
	name := uniqueName(t, "stk")
	st, err := stack.Deploy(ctx, cfg, tpl, name, params)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	t.Cleanup(func() {
		if err := stack.Delete(context.Background(), cfg, name); err != nil {
			t.Logf("Delete: %v", err)
		}
	})
	return deployed{cfg: cfg, stack: st, tpl: tpl}
}

func TestDeploy_CreatesTemplateResources(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := deployTestStack(t, ctx, map[string]string{"Stage": "test"})
	st := d.stack
	name := st.Name

	t.Run("physical ids", func(t *testing.T) {
		got := map[string]bool{}
		for _, id := range d.tpl.LogicalIDs("") {
			_, ok := st.Physical(id)
			got[id] = ok
		}
		want := map[string]bool{
			"Table": true, "FulfillmentDLQ": true, "FulfillmentQueue": true, "UsageDLQ": true, "UsageQueue": true,
			"RelayFailureQueue": true, "UsageBucket": true,
			// Functions and the API are not in the emulator body, and moto
			// creates no queue policy; nothing local needs them.
			"UsageQueuePolicy": false, "ApiFunction": false, "HttpApi": false, "RelayFunction": false,
			"UsageFunction": false, "FulfillmentFunction": false, "BillingFunction": false,
		}
		if _, ok := st.Physical("UsageQueuePolicy"); ok {
			want["UsageQueuePolicy"] = true // LocalStack creates it
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("created resources (-want +got):\n%s", diff)
		}
	})

	t.Run("table", func(t *testing.T) {
		tableName, err := st.TableName("Table")
		if err != nil {
			t.Fatalf("TableName: %v", err)
		}
		out, err := dynamodb.NewFromConfig(d.cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tableName)})
		if err != nil {
			t.Fatalf("DescribeTable: %v", err)
		}
		var gsis []string
		for _, g := range out.Table.GlobalSecondaryIndexes {
			gsis = append(gsis, aws.ToString(g.IndexName))
		}
		got := []string{tableName, strings.Join(gsis, ","), string(out.Table.StreamSpecification.StreamViewType)}
		want := []string{name + "-table", "gsi1", "NEW_AND_OLD_IMAGES"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	})

	t.Run("ttl enabled", func(t *testing.T) {
		tableName, _ := st.TableName("Table")
		out, err := dynamodb.NewFromConfig(d.cfg).DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tableName)})
		if err != nil {
			t.Fatalf("DescribeTimeToLive: %v", err)
		}
		got := []string{string(out.TimeToLiveDescription.TimeToLiveStatus), aws.ToString(out.TimeToLiveDescription.AttributeName)}
		if diff := cmp.Diff([]string{string(ddbtypes.TimeToLiveStatusEnabled), "ttl"}, got); diff != "" {
			t.Errorf("TTL (-want +got):\n%s", diff)
		}
	})

	t.Run("redrive policy", func(t *testing.T) {
		attrs, err := st.QueueAttributes(ctx, "FulfillmentQueue", sqstypes.QueueAttributeNameRedrivePolicy, sqstypes.QueueAttributeNameVisibilityTimeout)
		if err != nil {
			t.Fatalf("QueueAttributes: %v", err)
		}
		var redrive struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     json.Number
		}
		if err := json.Unmarshal([]byte(attrs["RedrivePolicy"]), &redrive); err != nil {
			t.Fatalf("RedrivePolicy %q: %v", attrs["RedrivePolicy"], err)
		}
		dlqARN, err := st.QueueARN(ctx, "FulfillmentDLQ")
		if err != nil {
			t.Fatalf("QueueARN: %v", err)
		}
		got := []string{redrive.DeadLetterTargetArn, redrive.MaxReceiveCount.String(), attrs["VisibilityTimeout"]}
		if diff := cmp.Diff([]string{dlqARN, "5", "60"}, got); diff != "" {
			t.Errorf("queue attributes (-want +got):\n%s", diff)
		}
	})

	t.Run("function env", func(t *testing.T) {
		env, err := st.FunctionEnv(ctx, "RelayFunction")
		if err != nil {
			t.Fatalf("FunctionEnv: %v", err)
		}
		queueURL, _ := st.QueueURL(ctx, "FulfillmentQueue")
		failURL, _ := st.QueueURL(ctx, "RelayFailureQueue")
		queueARN, _ := st.QueueARN(ctx, "FulfillmentQueue")
		usageARN, _ := st.QueueARN(ctx, "UsageQueue")
		streamARN, _ := st.TableStreamARN(ctx, "Table")
		tableARN, _ := st.TableARN(ctx, "Table")
		want := map[string]string{
			"TABLE_NAME":            name + "-table",
			"EVENTS_QUEUE_URL":      queueURL,
			"USAGE_BUCKET":          name + "-usage",
			"STAGE":                 "test",
			"LOG_LEVEL":             "debug",
			"STREAM_ARN":            streamARN,
			"FAILURE_QUEUE_URL":     failURL,
			"FULFILLMENT_QUEUE_ARN": queueARN,
			"STACK_INFO":            name + "/us-east-1/123456789012",
			"OBJECT_PREFIX":         "s3://" + name + "-usage/uploads/",
			"USAGE_QUEUE_ARN":       usageARN,
			"LITERAL":               "${NotAVar}-test",
			"JOINED":                "test," + tableARN,
		}
		if diff := cmp.Diff(want, env); diff != "" {
			t.Errorf("FunctionEnv (-want +got):\n%s", diff)
		}
		if !strings.HasPrefix(queueURL, aws.ToString(d.cfg.BaseEndpoint)) {
			t.Errorf("queue URL %q is not on the emulator endpoint %q", queueURL, aws.ToString(d.cfg.BaseEndpoint))
		}
	})

	t.Run("function env names unresolvable variables", func(t *testing.T) {
		env, err := st.FunctionEnv(ctx, "ApiFunction")
		if err == nil || !strings.Contains(err.Error(), "environment variable PUBLIC_URL") {
			t.Fatalf("FunctionEnv error = %v, want one naming PUBLIC_URL", err)
		}
		if diff := cmp.Diff("false", env["ALLOW_PLAIN_HTTP"]); diff != "" {
			t.Errorf("parameter default (-want +got):\n%s", diff)
		}
	})

	t.Run("bucket notification reaches queue", func(t *testing.T) {
		bucket, err := st.BucketName("UsageBucket")
		if err != nil {
			t.Fatalf("BucketName: %v", err)
		}
		queueURL, err := st.QueueURL(ctx, "UsageQueue")
		if err != nil {
			t.Fatalf("QueueURL: %v", err)
		}
		s3c := s3.NewFromConfig(d.cfg, func(o *s3.Options) { o.UsePathStyle = true })
		for _, key := range []string{"ignored/a.csv", "uploads/b.csv"} {
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
				t.Fatalf("PutObject %s: %v", key, err)
			}
		}
		got := objectKeysOnQueue(t, ctx, sqs.NewFromConfig(d.cfg), queueURL)
		if diff := cmp.Diff([]string{"uploads/b.csv"}, got); diff != "" {
			t.Errorf("S3 events on queue (-want +got):\n%s", diff)
		}
	})

	t.Run("second deploy reuses the stack", func(t *testing.T) {
		again, err := stack.Deploy(ctx, d.cfg, d.tpl, name, nil)
		if err != nil {
			t.Fatalf("second Deploy: %v", err)
		}
		got := []string{again.ID, again.Params()["Stage"]}
		if diff := cmp.Diff([]string{st.ID, "test"}, got); diff != "" {
			t.Errorf("reused stack (-want +got):\n%s", diff)
		}
		queueURL, _ := again.QueueURL(ctx, "UsageQueue")
		if got := objectKeysOnQueue(t, ctx, sqs.NewFromConfig(d.cfg), queueURL); len(got) != 0 {
			t.Errorf("redeploy rewrote the notification configuration: queue got %v", got)
		}
	})
}

// objectKeysOnQueue drains S3 event messages from the queue and returns the
// object keys they name, skipping s3:TestEvent messages.
func objectKeysOnQueue(t *testing.T, ctx context.Context, client *sqs.Client, queueURL string) []string {
	t.Helper()
	var keys []string
	for {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 {
			return keys
		}
		for _, m := range out.Messages {
			var ev struct {
				Event   string
				Records []struct {
					EventName string `json:"eventName"`
					S3        struct {
						Object struct {
							Key string `json:"key"`
						} `json:"object"`
					} `json:"s3"`
				}
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatalf("S3 event %q: %v", aws.ToString(m.Body), err)
			}
			for _, r := range ev.Records {
				// S3 URL-encodes keys in events (moto encodes "/" too).
				key, err := url.QueryUnescape(r.S3.Object.Key)
				if err != nil {
					t.Fatalf("object key %q: %v", r.S3.Object.Key, err)
				}
				keys = append(keys, key)
			}
			if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
		}
	}
}

func TestDeploy_FailureExplainsReason(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := emulator.Config(t)
	body := []byte(`
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:missing
        maxReceiveCount: 1
`)
	tpl, err := stack.ParseTemplate(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("ParseTemplate: %v", err)
	}
	name := uniqueName(t, "bad")
	t.Cleanup(func() { _ = stack.Delete(context.Background(), cfg, name) })
	if _, err := stack.Deploy(ctx, cfg, tpl, name, nil); err == nil {
		t.Fatalf("Deploy succeeded, want an error")
	} else {
		t.Logf("Deploy error: %v", err)
	}
}
