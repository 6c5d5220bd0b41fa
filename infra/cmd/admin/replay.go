package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
)

const (
	// replayVisibility hides a message while it is replayed, so that a
	// second operator's run does not take it too; the ones a run leaves are
	// made visible again when it ends.
	replayVisibility = 300
	// recordsPerRead is the most GetRecords returns.
	recordsPerRead = 1000
	// emptyReads is how many empty GetRecords answers in a row end a range
	// that has not reached its end sequence number.
	emptyReads = 3
)

// Replayed is what replay-stream-failures did with one message of the
// relay's failure queue.
type Replayed struct {
	MessageID string `json:"message_id"`
	Shard     string `json:"shard,omitempty"`
	Start     string `json:"start_sequence_number,omitempty"`
	End       string `json:"end_sequence_number,omitempty"`
	// Records is how many stream records the range holds, Events how many
	// of them are outbox events (the rest are other changes of the table).
	Records int `json:"records"`
	Events  int `json:"events"`
	// Outcome is "replayed" (every record went out; the message is
	// deleted), "dry-run" or "left" (the message stays, Error says why).
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// ReplayReport is replay-stream-failures' answer.
type ReplayReport struct {
	Messages []Replayed `json:"messages"`
	Replayed int        `json:"replayed"`
	Left     int        `json:"left"`
}

// replayer hands the stream ranges named by the relay's failure queue to
// the relay's own handler, in process.
type replayer struct {
	sqs      *sqs.Client
	streams  *dynamodbstreams.Client
	relay    app.StreamHandler
	queueURL string
	region   string
	dryRun   bool
}

// replayStreamFailures is the replay-stream-failures command.
func replayStreamFailures(ctx context.Context, a *app.App, getenv func(string) string, args []string) (ReplayReport, error) {
	fs := flag.NewFlagSet("replay-stream-failures", flag.ContinueOnError)
	queue := fs.String("queue", getenv("RELAY_FAILURE_QUEUE_URL"), "URL of the relay's failure queue (the stack's RelayFailureQueueUrl)")
	maxMessages := fs.Int("max", 10, "the most messages to take from the queue in this run")
	dryRun := fs.Bool("dry-run", false, "read each range and report it, without publishing or deleting anything")
	if err := fs.Parse(args); err != nil {
		return ReplayReport{}, err
	}
	if *queue == "" {
		return ReplayReport{}, errors.New("replay-stream-failures needs -queue (or RELAY_FAILURE_QUEUE_URL)")
	}
	if *maxMessages < 1 {
		return ReplayReport{}, errors.New("-max must be at least 1")
	}
	rl, err := a.Relay()
	if err != nil {
		return ReplayReport{}, err
	}
	r := replayer{
		sqs: a.SQS, streams: dynamodbstreams.NewFromConfig(a.AWS), relay: rl.Handle,
		queueURL: *queue, region: a.AWS.Region, dryRun: *dryRun,
	}
	return r.run(ctx, *maxMessages)
}

// run takes up to maxMessages messages and replays each one. A message it
// leaves is made visible again at the end, so that the queue (and its
// alarm) still shows it; a dry run leaves every message.
func (r replayer) run(ctx context.Context, maxMessages int) (ReplayReport, error) {
	report := ReplayReport{Messages: []Replayed{}}
	var left []sqstypes.Message
	defer func() { r.release(context.WithoutCancel(ctx), left) }()
	for len(report.Messages) < maxMessages {
		out, err := r.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(r.queueURL),
			MaxNumberOfMessages: int32(min(10, maxMessages-len(report.Messages))),
			VisibilityTimeout:   replayVisibility,
		})
		if err != nil {
			return report, fmt.Errorf("receive from the failure queue: %w", err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			res := r.replay(ctx, m)
			if res.Outcome == "replayed" {
				if _, err := r.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
					res.Outcome, res.Error = "left", fmt.Sprintf("replayed, but the message was not deleted (a next run replays it again, harmlessly): %v", err)
				}
			}
			switch res.Outcome {
			case "replayed":
				report.Replayed++
			case "left":
				report.Left++
				left = append(left, m)
			default: // a dry run's
				left = append(left, m)
			}
			report.Messages = append(report.Messages, res)
		}
	}
	return report, nil
}

// replay reads one message's range from the stream and runs the relay on
// it.
func (r replayer) replay(ctx context.Context, m sqstypes.Message) Replayed {
	res := Replayed{MessageID: aws.ToString(m.MessageId), Outcome: "left"}
	var rec localrun.OnFailureRecord
	if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &rec); err != nil || rec.DDBStreamBatchInfo.ShardID == "" {
		res.Error = "not a stream on-failure record (no DDBStreamBatchInfo.shardId)"
		return res
	}
	info := rec.DDBStreamBatchInfo
	res.Shard, res.Start, res.End = info.ShardID, info.StartSequenceNumber, info.EndSequenceNumber
	records, err := r.read(ctx, info)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	event := localrun.StreamEvent(records, info.StreamARN, r.region)
	res.Records = len(event.Records)
	for _, er := range event.Records {
		if dynamo.IsEventKey(er.Change.Keys) {
			res.Events++
		}
	}
	if r.dryRun {
		res.Outcome = "dry-run"
		return res
	}
	resp, err := r.relay(ctx, event)
	switch {
	case err != nil:
		res.Error = "the relay failed: " + err.Error()
	case len(resp.BatchItemFailures) > 0:
		res.Error = fmt.Sprintf("the relay could not publish every event, from sequence number %s on (its log says why); run again once the cause is fixed", resp.BatchItemFailures[0].ItemIdentifier)
	default:
		res.Outcome = "replayed"
	}
	return res
}

// read returns the records of the range, from its start up to and
// including its end sequence number.
func (r replayer) read(ctx context.Context, info localrun.StreamBatchInfo) ([]streamtypes.Record, error) {
	end, ok := new(big.Int).SetString(info.EndSequenceNumber, 10)
	if !ok {
		return nil, fmt.Errorf("endSequenceNumber %q is not a sequence number", info.EndSequenceNumber)
	}
	it, err := r.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
		StreamArn: aws.String(info.StreamARN), ShardId: aws.String(info.ShardID),
		ShardIteratorType: streamtypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: aws.String(info.StartSequenceNumber),
	})
	if err != nil {
		return nil, gone(info, err)
	}
	var records []streamtypes.Record
	iterator := it.ShardIterator
	for empty := 0; iterator != nil && empty < emptyReads; {
		out, err := r.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iterator, Limit: aws.Int32(recordsPerRead)})
		if err != nil {
			return nil, gone(info, err)
		}
		iterator = out.NextShardIterator
		if len(out.Records) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, rec := range out.Records {
			if rec.Dynamodb == nil {
				return nil, fmt.Errorf("shard %s returned a record without a sequence number", info.ShardID)
			}
			seq, ok := new(big.Int).SetString(aws.ToString(rec.Dynamodb.SequenceNumber), 10)
			if !ok || seq.Cmp(end) > 0 {
				return records, nil
			}
			records = append(records, rec)
			if seq.Cmp(end) == 0 {
				return records, nil
			}
		}
	}
	return nil, fmt.Errorf("the stream ended before endSequenceNumber %s (read %d records of shard %s): the range is incomplete; nothing was replayed", info.EndSequenceNumber, len(records), info.ShardID)
}

// gone explains a failed read of the range: past the stream's 24 hours the
// records (and then the shard) are gone, but the events are still in the
// table.
func gone(info localrun.StreamBatchInfo, err error) error {
	var (
		trimmed  *streamtypes.TrimmedDataAccessException
		notFound *streamtypes.ResourceNotFoundException
	)
	if errors.As(err, &trimmed) || errors.As(err, &notFound) {
		return fmt.Errorf("the stream no longer holds shard %s from sequence number %s (past its 24 hours, or another stream): "+
			"the events are still in the table; see the README's runbook: %w", info.ShardID, info.StartSequenceNumber, err)
	}
	return fmt.Errorf("read shard %s from sequence number %s: %w", info.ShardID, info.StartSequenceNumber, err)
}

// release makes the messages left visible again.
func (r replayer) release(ctx context.Context, msgs []sqstypes.Message) {
	for _, m := range msgs {
		_, _ = r.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(r.queueURL), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0,
		})
	}
}
