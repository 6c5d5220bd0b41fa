package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/ident"
)

// outboxRecord is an outbox insert found in the stream.
type outboxRecord struct {
	shard, seq, eventID string
}

// accountEvents commits an account and two more tokens (real transactions
// with their events) and returns the stream's outbox inserts of that
// account, in stream order.
func accountEvents(t *testing.T, e *stacktest.Env, a *app.App, streamARN string) []outboxRecord {
	t.Helper()
	ctx := context.Background()
	acct, err := a.Accounts.Ensure(ctx, "replay-"+ident.Secret(6), account.CreateAccountInput{Type: account.Vendor, Name: "Replay Inc."})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := a.Accounts.IssueToken(ctx, acct.ID, "replay"); err != nil {
			t.Fatal(err)
		}
	}
	streams := dynamodbstreams.NewFromConfig(e.AWS)
	desc, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil {
		t.Fatal(err)
	}
	var out []outboxRecord
	for _, sh := range desc.StreamDescription.Shards {
		it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: aws.String(streamARN), ShardId: sh.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			t.Fatal(err)
		}
		for iter := it.ShardIterator; iter != nil; {
			page, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Records) == 0 {
				break
			}
			iter = page.NextShardIterator
			for _, r := range page.Records {
				img := r.Dynamodb.NewImage
				if r.EventName != streamtypes.OperationTypeInsert || !strings.HasPrefix(stringAttr(r.Dynamodb.Keys["pk"]), dynamo.EventPrefix) ||
					stringAttr(img["sk"]) != "EVENT" || stringAttr(img["account"]) != acct.ID {
					continue
				}
				out = append(out, outboxRecord{shard: aws.ToString(sh.ShardId), seq: aws.ToString(r.Dynamodb.SequenceNumber), eventID: stringAttr(img["id"])})
			}
		}
	}
	if len(out) < 3 {
		t.Fatalf("the stream holds %d events of account %s, want at least 3 (its creation and two tokens)", len(out), acct.ID)
	}
	return out
}

func stringAttr(v streamtypes.AttributeValue) string {
	s, _ := v.(*streamtypes.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

// failureMessage queues the record Lambda sends to a stream's on-failure
// destination, in the shape AWS documents for DynamoDB streams.
func failureMessage(t *testing.T, sqsc *sqs.Client, queueURL, streamARN, shard, start, end string, n int) {
	t.Helper()
	body := fmt.Sprintf(`{
  "requestContext": {"requestId": "%s", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:mercato-RelayFunction",
    "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
  "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
  "version": "1.0", "timestamp": "2026-12-06T03:00:00.000Z",
  "DDBStreamBatchInfo": {"shardId": "%s", "startSequenceNumber": "%s", "endSequenceNumber": "%s",
    "approximateArrivalOfFirstRecord": "2026-12-06T02:59:00Z", "approximateArrivalOfLastRecord": "2026-12-06T02:59:00Z",
    "batchSize": %d, "streamArn": "%s"}
}`, ident.Secret(8), shard, start, end, n, streamARN)
	if _, err := sqsc.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
}

// queued returns the messages in a queue (visible and in flight).
func queued(t *testing.T, sqsc *sqs.Client, queueURL string) int {
	t.Helper()
	out, err := sqsc.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		var v int
		fmt.Sscan(out.Attributes[string(k)], &v)
		n += v
	}
	return n
}

// published drains a queue and returns the event ids of its messages.
func published(t *testing.T, sqsc *sqs.Client, queueURL string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for {
		out, err := sqsc.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL),
			MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return ids
		}
		for _, m := range out.Messages {
			ids[aws.ToString(m.MessageAttributes["event_id"].StringValue)] = true
			if _, err := sqsc.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// replayCmd runs replay-stream-failures on a and decodes its report.
func replayCmd(t *testing.T, a *app.App, queueURL string, args ...string) (ReplayReport, error) {
	t.Helper()
	var buf bytes.Buffer
	err := run(context.Background(), a, func(k string) string {
		if k == "RELAY_FAILURE_QUEUE_URL" {
			return queueURL
		}
		return ""
	}, append([]string{"replay-stream-failures"}, args...), strings.NewReader(""), &buf)
	var rep ReplayReport
	if jerr := json.Unmarshal(buf.Bytes(), &rep); jerr != nil && buf.Len() > 0 {
		t.Fatalf("printed %q: %v", buf.String(), jerr)
	}
	return rep, err
}

// TestAdmin_ReplayStreamFailures walks the runbook's replay on the
// emulator's stream: a dry run reads the range and leaves the message; a
// relay that cannot reach a queue leaves it too; the replay then publishes
// every event of the range and deletes the message; a range the stream no
// longer holds is a clear error and the message stays.
func TestAdmin_ReplayStreamFailures(t *testing.T) {
	e := stacktest.Shared(t)
	a := e.App(t, app.Options{})
	ctx := context.Background()
	failures, err := e.Stack.QueueURL(ctx, "RelayFailureQueue")
	if err != nil {
		t.Fatal(err)
	}
	streamARN, err := e.Stack.TableStreamARN(ctx, "Table")
	if err != nil {
		t.Fatal(err)
	}
	sqsc := a.SQS
	published(t, sqsc, e.Config.WebhookQueue)
	evs := accountEvents(t, e, a, streamARN)
	first, last := evs[0], evs[len(evs)-1]
	if first.shard != last.shard {
		t.Skipf("the account's events span two shards (%s, %s)", first.shard, last.shard)
	}
	failureMessage(t, sqsc, failures, streamARN, first.shard, first.seq, last.seq, len(evs))

	rep, err := replayCmd(t, a, failures, "-dry-run")
	if err != nil || len(rep.Messages) != 1 || rep.Messages[0].Outcome != "dry-run" || rep.Messages[0].Events != len(evs) {
		t.Fatalf("dry run: %+v, %v; want one message read with %d events", rep, err, len(evs))
	}
	if rep.Messages[0].Records <= len(evs) {
		t.Errorf("dry run read %d records, want the account's and tokens' rows besides its %d events", rep.Messages[0].Records, len(evs))
	}
	if n := queued(t, sqsc, failures); n != 1 {
		t.Fatalf("after the dry run the failure queue holds %d messages, want 1", n)
	}
	if ids := published(t, sqsc, e.Config.WebhookQueue); len(ids) != 0 {
		t.Fatalf("the dry run published %d events", len(ids))
	}

	// A relay whose webhook queue does not exist publishes nothing: the
	// message stays for the next run.
	broken := e.Config
	broken.WebhookQueue = strings.Replace(broken.WebhookQueue, "WebhookQueue", "NoSuchQueue", 1)
	rep, err = replayCmd(t, app.New(broken, e.AWS, stacktest.Logger(t), app.Options{}), failures)
	if err == nil || rep.Left != 1 || !strings.Contains(rep.Messages[0].Error, "could not publish") {
		t.Fatalf("replay through a broken relay: %+v, %v; want the message left with the relay's failure", rep, err)
	}
	if n := queued(t, sqsc, failures); n != 1 {
		t.Fatalf("after the failed replay the failure queue holds %d messages, want 1", n)
	}

	rep, err = replayCmd(t, a, failures, "-max", "5")
	if err != nil || rep.Replayed != 1 || rep.Left != 0 {
		t.Fatalf("replay: %+v, %v; want the one message replayed", rep, err)
	}
	if n := queued(t, sqsc, failures); n != 0 {
		t.Errorf("after the replay the failure queue holds %d messages, want 0", n)
	}
	ids := published(t, sqsc, e.Config.WebhookQueue)
	for _, ev := range evs {
		if !ids[ev.eventID] {
			t.Errorf("event %s did not reach the webhook queue (got %v)", ev.eventID, ids)
		}
	}

	// Past the stream's retention: a stream that is gone (the table was
	// switched, or the stream turned off over 24 hours ago), and a range the
	// shard no longer reaches.
	gone := strings.Replace(streamARN, "table/", "table/gone-", 1)
	failureMessage(t, sqsc, failures, gone, first.shard, first.seq, last.seq, len(evs))
	failureMessage(t, sqsc, failures, streamARN, first.shard, "9"+last.seq, "9"+last.seq, 1)
	rep, err = replayCmd(t, a, failures)
	if err == nil || rep.Left != 2 {
		t.Fatalf("replay of ranges the stream does not hold: %+v, %v; want both messages left", rep, err)
	}
	says := map[string]int{}
	for _, m := range rep.Messages {
		for _, why := range []string{"no longer holds", "ended before endSequenceNumber"} {
			if strings.Contains(m.Error, why) {
				says[why]++
			}
		}
	}
	if says["no longer holds"] != 1 || says["ended before endSequenceNumber"] != 1 {
		t.Errorf("the errors do not say that the stream is gone, and that the range is past the shard's end: %+v", rep.Messages)
	}
	if n := queued(t, sqsc, failures); n != 2 {
		t.Errorf("after replaying gone ranges the failure queue holds %d messages, want 2", n)
	}
	if _, err := sqsc.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(failures)}); err != nil {
		t.Fatal(err)
	}
}
