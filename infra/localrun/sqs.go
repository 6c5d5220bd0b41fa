package localrun

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/internal/app"
)

// sqsMaxReceive is the most messages one ReceiveMessage returns.
const sqsMaxReceive = 10

// sqsSource polls one queue for one function, one batch at a time.
//
// Redrive to the DLQ is left to the queue itself: SQS (and moto, which the
// tests check) moves a message whose receive count exceeds the
// RedrivePolicy's maxReceiveCount to the DLQ when it is next received, so a
// failed message here only has to stay undeleted.
type sqsSource struct {
	sourceBase
	spec    stack.SQSSource
	handler app.SQSHandler

	queueURL string
	queueARN string
}

func (s *sqsSource) describe() string {
	window := ""
	if s.spec.MaximumBatchingWindowInSeconds > 0 {
		window = fmt.Sprintf("window %ds", s.spec.MaximumBatchingWindowInSeconds)
	}
	partial := ""
	if s.spec.ReportsBatchItemFailures() {
		partial = "partial batch failures"
	}
	return fmt.Sprintf("%s.%s: SQS %s (%s)", s.fn.LogicalID, s.event, s.spec.QueueLogicalID,
		joinNonEmpty("batch "+strconv.Itoa(s.spec.BatchSize), window, partial))
}

func (s *sqsSource) prepare(ctx context.Context) error {
	var err error
	if s.queueURL, err = s.rt.cfg.Stack.QueueURL(ctx, s.spec.QueueLogicalID); err != nil {
		return err
	}
	s.queueARN, err = s.rt.cfg.Stack.QueueARN(ctx, s.spec.QueueLogicalID)
	return err
}

func (s *sqsSource) run(ctx context.Context) error {
	log := s.logger().With("queue", s.spec.QueueLogicalID)
	for ctx.Err() == nil {
		start := time.Now()
		msgs, err := s.receiveBatch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			log.Warn("receive messages failed", "err", err)
			pause(ctx, retryPause)
			continue
		}
		s.polls.found(start, len(msgs) > 0)
		if len(msgs) > 0 {
			s.process(ctx, msgs)
			continue
		}
		if s.waitSeconds() == 0 {
			// A sub-second PollWait means short polls; do not spin on them.
			pause(ctx, s.rt.cfg.PollWait)
		}
	}
	return nil
}

// waitSeconds is PollWait as the whole seconds SQS accepts (0 to 20).
func (s *sqsSource) waitSeconds() int32 {
	return int32(min(max(math.Round(s.rt.cfg.PollWait.Seconds()), 0), 20))
}

// receiveBatch long-polls for a first message, then gathers up to
// BatchSize messages: within MaximumBatchingWindowInSeconds when set, else
// for as long as the queue keeps returning full receives.
func (s *sqsSource) receiveBatch(ctx context.Context) ([]types.Message, error) {
	batchSize := max(s.spec.BatchSize, 1)
	window := time.Duration(s.spec.MaximumBatchingWindowInSeconds) * time.Second
	batch, err := s.receive(ctx, min(batchSize, sqsMaxReceive), s.waitSeconds())
	if err != nil || len(batch) == 0 {
		return batch, err
	}
	deadline := time.Now().Add(window)
	lastFull := len(batch) == min(batchSize, sqsMaxReceive)
	for len(batch) < batchSize {
		if window <= 0 && !lastFull {
			break
		}
		if window > 0 && !time.Now().Before(deadline) {
			break
		}
		want := min(batchSize-len(batch), sqsMaxReceive)
		more, err := s.receive(ctx, want, 0)
		if err != nil {
			// Keep what we have: those messages are in flight already.
			s.logger().Warn("receive more messages failed", "err", err)
			break
		}
		batch = append(batch, more...)
		lastFull = len(more) == want
		if len(more) == 0 && window > 0 && !pause(ctx, min(100*time.Millisecond, time.Until(deadline))) {
			break
		}
	}
	return batch, nil
}

func (s *sqsSource) receive(ctx context.Context, n int, waitSeconds int32) ([]types.Message, error) {
	out, err := s.rt.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(s.queueURL),
		MaxNumberOfMessages:         int32(n),
		WaitTimeSeconds:             waitSeconds,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", s.spec.QueueLogicalID, err)
	}
	return out.Messages, nil
}

// process invokes the handler on one batch and settles each message:
// delete the successes, leave the failures for the queue's visibility
// timeout and redrive policy.
func (s *sqsSource) process(ctx context.Context, msgs []types.Message) {
	log := s.logger().With("queue", s.spec.QueueLogicalID)
	event := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		event.Records = append(event.Records, sqsMessage(m, s.queueARN, s.region()))
	}
	log.Debug("invoking SQS batch", "messages", len(msgs), "first_message_id", aws.ToString(msgs[0].MessageId))

	resp, err := invoke(ctx, s.sourceBase, func(ctx context.Context) (events.SQSEventResponse, error) {
		return s.handler(ctx, event)
	})
	failed, reason := s.failedMessages(msgs, resp, err)
	if len(failed) > 0 {
		ids := make([]string, 0, len(failed))
		for id := range failed {
			ids = append(ids, id)
		}
		log.Warn("SQS batch had failures", "failed", len(failed), "messages", len(msgs), "message_ids", ids, "reason", reason)
	}

	sctx, cancel := settleContext(ctx)
	defer cancel()
	var done, retry []types.Message
	for _, m := range msgs {
		if failed[aws.ToString(m.MessageId)] {
			retry = append(retry, m)
		} else {
			done = append(done, m)
		}
	}
	if err := s.deleteMessages(sctx, done); err != nil {
		log.Error("delete processed messages failed; they will be delivered again", "err", err)
	}
	if err := s.expediteRetry(sctx, retry); err != nil {
		log.Warn("change visibility of failed messages failed", "err", err)
	}
}

// failedMessages applies Lambda's rules: an error or panic fails the whole
// batch; with ReportBatchItemFailures the listed messages fail, and an
// identifier that is not in the batch fails the whole batch.
func (s *sqsSource) failedMessages(msgs []types.Message, resp events.SQSEventResponse, err error) (map[string]bool, string) {
	all := func() map[string]bool {
		ids := make(map[string]bool, len(msgs))
		for _, m := range msgs {
			ids[aws.ToString(m.MessageId)] = true
		}
		return ids
	}
	if err != nil {
		return all(), err.Error()
	}
	if !s.spec.ReportsBatchItemFailures() || len(resp.BatchItemFailures) == 0 {
		return nil, ""
	}
	inBatch := all()
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if !inBatch[f.ItemIdentifier] {
			return inBatch, fmt.Sprintf("itemIdentifier %q is not a message of the batch, so the whole batch failed", f.ItemIdentifier)
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, "reported by handler"
}

func (s *sqsSource) deleteMessages(ctx context.Context, msgs []types.Message) error {
	return inBatches(msgs, "delete", func(chunk []types.Message) ([]types.BatchResultErrorEntry, error) {
		entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(chunk))
		for i, m := range chunk {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		out, err := s.rt.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(s.queueURL), Entries: entries})
		if err != nil {
			return nil, err
		}
		return out.Failed, nil
	})
}

// expediteRetry shortens the visibility timeout of failed messages when
// FailedVisibility asks for it; otherwise they reappear after the queue's
// VisibilityTimeout, as with Lambda.
func (s *sqsSource) expediteRetry(ctx context.Context, msgs []types.Message) error {
	if s.rt.cfg.FailedVisibility <= 0 || len(msgs) == 0 {
		return nil
	}
	seconds := int32(math.Ceil(s.rt.cfg.FailedVisibility.Seconds()))
	return inBatches(msgs, "change visibility", func(chunk []types.Message) ([]types.BatchResultErrorEntry, error) {
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, 0, len(chunk))
		for i, m := range chunk {
			entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: seconds,
			})
		}
		out, err := s.rt.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(s.queueURL), Entries: entries})
		if err != nil {
			return nil, err
		}
		return out.Failed, nil
	})
}

// inBatches calls send with msgs in batches that SQS accepts, and joins
// the errors of every batch and of every entry that send reports failed.
func inBatches(msgs []types.Message, what string, send func([]types.Message) ([]types.BatchResultErrorEntry, error)) error {
	var errs []error
	for chunk := range slices.Chunk(msgs, sqsMaxReceive) {
		failed, err := send(chunk)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range failed {
			errs = append(errs, fmt.Errorf("%s entry %s: %s", what, aws.ToString(f.Id), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}
