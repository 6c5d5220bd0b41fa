package localrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/internal/app"
)

const (
	// idlePoll is how often idle shards are polled, like Lambda's pollers.
	idlePoll = 250 * time.Millisecond
	// shardRefresh is how often the shard list is re-read to find child
	// shards; a closed shard triggers a refresh at once.
	shardRefresh = 10 * time.Second
	// RetryAttemptsExhausted is the OnFailureRecord condition for records
	// discarded after MaximumRetryAttempts.
	RetryAttemptsExhausted = "RetryAttemptsExhausted"
)

// OnFailureRecord is the message a stream source sends to its
// DestinationConfig.OnFailure queue when it discards records, in the shape
// Lambda uses. It names the records; it does not contain them.
type OnFailureRecord struct {
	RequestContext     OnFailureRequestContext  `json:"requestContext"`
	ResponseContext    OnFailureResponseContext `json:"responseContext"`
	Version            string                   `json:"version"`
	Timestamp          string                   `json:"timestamp"`
	DDBStreamBatchInfo StreamBatchInfo          `json:"DDBStreamBatchInfo"`
}

// OnFailureRequestContext says which invocation failed and why it was given up.
type OnFailureRequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// OnFailureResponseContext is the last invocation's outcome.
type OnFailureResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// StreamBatchInfo locates the discarded records in the stream, so that they
// can be read again with GetShardIterator AT_SEQUENCE_NUMBER while the
// stream retains them.
type StreamBatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamARN                       string `json:"streamArn"`
}

// streamSource follows every shard of one table's stream for one function.
// Shards are polled round-robin from one goroutine, so a shard's batches
// are strictly sequential and in order, and a child shard starts only once
// its parent is drained.
type streamSource struct {
	sourceBase
	spec    stack.StreamSource
	handler app.StreamHandler

	streamARN  string
	failureURL string

	shards    map[string]*shard
	order     []string // discovery order
	refreshAt time.Time
	refreshed bool
}

// position is where an iterator is (re)acquired from: the checkpoint after
// a success (AFTER_SEQUENCE_NUMBER), the first failed record on a retry
// (AT_SEQUENCE_NUMBER), or the starting position.
type position struct {
	typ streamtypes.ShardIteratorType
	seq string
}

type shard struct {
	id       string
	parent   string
	pos      position
	iterator *string // nil: acquire one from pos
	closed   bool    // drained: no records left and no next iterator
	failures int     // failed invocations in a row at the current head
	limit    int     // records per GetRecords; bisection lowers it
}

func (s *streamSource) describe() string {
	retries := "retries until expiry"
	if s.spec.MaximumRetryAttempts >= 0 {
		retries = "retries " + strconv.Itoa(s.spec.MaximumRetryAttempts)
	}
	var extra []string
	if s.spec.BisectBatchOnFunctionError {
		extra = append(extra, "bisect on error")
	}
	if s.spec.ReportsBatchItemFailures() {
		extra = append(extra, "partial batch failures")
	}
	if s.spec.OnFailureQueueLogicalID != "" {
		extra = append(extra, "on failure "+s.spec.OnFailureQueueLogicalID)
	}
	return fmt.Sprintf("%s.%s: DynamoDB stream of %s (%s)", s.fn.LogicalID, s.event, s.spec.TableLogicalID,
		joinNonEmpty(append([]string{s.spec.StartingPosition, "batch " + strconv.Itoa(s.spec.BatchSize), retries}, extra...)...))
}

func (s *streamSource) prepare(ctx context.Context) error {
	var err error
	if s.streamARN, err = s.rt.cfg.Stack.TableStreamARN(ctx, s.spec.TableLogicalID); err != nil {
		return err
	}
	if q := s.spec.OnFailureQueueLogicalID; q != "" {
		if s.failureURL, err = s.rt.cfg.Stack.QueueURL(ctx, q); err != nil {
			return err
		}
	}
	s.shards = map[string]*shard{}
	return nil
}

func (s *streamSource) run(ctx context.Context) error {
	log := s.logger().With("table", s.spec.TableLogicalID)
	for ctx.Err() == nil {
		if !time.Now().Before(s.refreshAt) {
			if err := s.refreshShards(ctx); err != nil {
				if ctx.Err() != nil {
					break
				}
				log.Warn("describe stream failed", "err", err)
				pause(ctx, retryPause)
				continue
			}
		}
		round, busy, failed := time.Now(), false, false
		for _, id := range s.order {
			sh := s.shards[id]
			if sh.closed || !s.parentDone(sh) {
				continue
			}
			progressed, err := s.step(ctx, sh)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				log.Warn("stream shard poll failed", "shard", sh.id, "err", err)
				pause(ctx, retryPause)
				failed = true
			}
			busy = busy || progressed
		}
		if !failed {
			s.polls.found(round, busy)
		}
		if !busy {
			pause(ctx, idlePoll)
		}
	}
	return nil
}

// refreshShards adds shards the stream has and we do not know yet.
func (s *streamSource) refreshShards(ctx context.Context) error {
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(s.streamARN)}
	for {
		out, err := s.rt.streams.DescribeStream(ctx, in)
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		for _, sh := range out.StreamDescription.Shards {
			s.addShard(sh)
		}
		last := out.StreamDescription.LastEvaluatedShardId
		if last == nil {
			break
		}
		in.ExclusiveStartShardId = last
	}
	s.refreshed = true
	s.refreshAt = time.Now().Add(shardRefresh)
	if len(s.shards) == 0 {
		s.refreshAt = time.Now().Add(retryPause)
	}
	return nil
}

func (s *streamSource) addShard(desc streamtypes.Shard) {
	id := aws.ToString(desc.ShardId)
	if _, ok := s.shards[id]; ok || id == "" {
		return
	}
	// The starting position applies to the shards there at start; shards
	// that appear later are read from their beginning, as Lambda does.
	start := streamtypes.ShardIteratorTypeTrimHorizon
	closed := false
	if !s.refreshed && s.spec.StartingPosition == string(streamtypes.ShardIteratorTypeLatest) {
		start = streamtypes.ShardIteratorTypeLatest
		closed = desc.SequenceNumberRange != nil && desc.SequenceNumberRange.EndingSequenceNumber != nil
	}
	s.shards[id] = &shard{
		id:     id,
		parent: aws.ToString(desc.ParentShardId),
		pos:    position{typ: start},
		closed: closed,
		limit:  s.batchSize(),
	}
	s.order = append(s.order, id)
}

func (s *streamSource) batchSize() int {
	return max(s.spec.BatchSize, 1)
}

// parentDone says whether a shard may be read: its parent, if we know it,
// must be drained first so that records of one item stay in order.
func (s *streamSource) parentDone(sh *shard) bool {
	p, ok := s.shards[sh.parent]
	return sh.parent == "" || !ok || p.closed
}

// step reads and processes one batch of a shard. It reports whether it
// made progress, so that the caller only sleeps when every shard is idle.
func (s *streamSource) step(ctx context.Context, sh *shard) (bool, error) {
	if sh.iterator == nil {
		it, err := s.acquire(ctx, sh)
		if err != nil {
			return s.handleReadError(sh, err)
		}
		sh.iterator = it
	}
	out, err := s.rt.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: sh.iterator, Limit: aws.Int32(int32(sh.limit))})
	if err != nil {
		return s.handleReadError(sh, err)
	}
	sh.iterator = out.NextShardIterator
	if len(out.Records) == 0 {
		if sh.iterator == nil {
			s.closeShard(sh)
			return true, nil
		}
		return false, nil
	}
	if err := s.processBatch(ctx, sh, out.Records); err != nil {
		return true, err
	}
	if sh.iterator == nil && sh.pos.typ == streamtypes.ShardIteratorTypeAfterSequenceNumber {
		s.closeShard(sh)
	}
	return true, nil
}

func (s *streamSource) closeShard(sh *shard) {
	sh.closed = true
	s.refreshAt = time.Now() // look for its children
	s.logger().Debug("stream shard drained", "shard", sh.id)
}

// handleReadError recovers from an expired iterator (re-acquire from the
// checkpoint), trimmed data (restart at the trim horizon) and a vanished
// shard; other errors are returned for the caller to log.
func (s *streamSource) handleReadError(sh *shard, err error) (bool, error) {
	var (
		expired  *streamtypes.ExpiredIteratorException
		trimmed  *streamtypes.TrimmedDataAccessException
		notFound *streamtypes.ResourceNotFoundException
	)
	sh.iterator = nil
	switch {
	case errors.As(err, &expired):
		return true, nil
	case errors.As(err, &trimmed):
		s.logger().Warn("stream records trimmed before they were processed; restarting at the trim horizon", "shard", sh.id, "sequence_number", sh.pos.seq)
		sh.pos = position{typ: streamtypes.ShardIteratorTypeTrimHorizon}
		return true, nil
	case errors.As(err, &notFound):
		s.closeShard(sh)
		return true, nil
	}
	return false, err
}

func (s *streamSource) acquire(ctx context.Context, sh *shard) (*string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{
		StreamArn:         aws.String(s.streamARN),
		ShardId:           aws.String(sh.id),
		ShardIteratorType: sh.pos.typ,
	}
	if sh.pos.seq != "" {
		in.SequenceNumber = aws.String(sh.pos.seq)
	}
	out, err := s.rt.streams.GetShardIterator(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("get shard iterator %s %s: %w", sh.pos.typ, sh.pos.seq, err)
	}
	return out.ShardIterator, nil
}

// processBatch invokes the handler and moves the shard's position:
// past the batch on success; on failure back to the first failed record
// (the records before it count as processed), halving the batch on a
// function error when BisectBatchOnFunctionError is set; and, once
// MaximumRetryAttempts is spent, past the failed records after reporting
// them to the on-failure queue.
func (s *streamSource) processBatch(ctx context.Context, sh *shard, records []streamtypes.Record) error {
	log := s.logger().With("shard", sh.id)
	event := StreamEvent(records, s.streamARN, s.region())
	log.Debug("invoking stream batch", "records", len(records), "first_sequence_number", seqOf(records[0]), "last_sequence_number", seqOf(records[len(records)-1]))

	resp, err := invoke(ctx, s.sourceBase, func(ctx context.Context) (events.DynamoDBEventResponse, error) {
		return s.handler(ctx, event)
	})
	failIdx, reason := s.firstFailure(records, resp, err)
	if failIdx < 0 {
		s.advance(sh, records[len(records)-1])
		return nil
	}
	if failIdx > 0 {
		sh.failures = 0 // the head moved: a new record is failing
	}
	failed := records[failIdx:]
	if err != nil && s.spec.BisectBatchOnFunctionError && len(failed) > 1 {
		// Splitting does not count against the retry quota, as with Lambda.
		sh.limit = max(1, len(failed)/2)
		s.retryAt(sh, failed[0])
		log.Warn("stream batch failed; retrying half of it", "sequence_number", seqOf(failed[0]), "records", len(failed), "next_batch", sh.limit, "reason", reason)
		return nil
	}
	sh.failures++
	if !s.exhausted(sh.failures) {
		s.retryAt(sh, failed[0])
		log.Warn("stream batch failed; retrying from the first failed record", "sequence_number", seqOf(failed[0]), "attempt", sh.failures, "reason", reason)
		return nil
	}
	if err := s.discard(ctx, sh, failed, err != nil); err != nil {
		s.retryAt(sh, failed[0])
		return fmt.Errorf("report discarded records: %w", err)
	}
	log.Error("stream records discarded after retries were exhausted", "first_sequence_number", seqOf(failed[0]),
		"last_sequence_number", seqOf(failed[len(failed)-1]), "records", len(failed), "attempts", sh.failures, "reason", reason)
	s.advance(sh, failed[len(failed)-1])
	return nil
}

// firstFailure returns the index of the first failed record, or -1. An
// error fails the whole batch; with ReportBatchItemFailures the lowest
// reported sequence number counts, and an identifier that is not in the
// batch fails the whole batch.
func (s *streamSource) firstFailure(records []streamtypes.Record, resp events.DynamoDBEventResponse, err error) (int, string) {
	if err != nil {
		return 0, err.Error()
	}
	if !s.spec.ReportsBatchItemFailures() || len(resp.BatchItemFailures) == 0 {
		return -1, ""
	}
	index := make(map[string]int, len(records))
	for i, r := range records {
		index[seqOf(r)] = i
	}
	first := len(records)
	for _, f := range resp.BatchItemFailures {
		i, ok := index[f.ItemIdentifier]
		if !ok {
			return 0, fmt.Sprintf("itemIdentifier %q is not a sequence number of the batch, so the whole batch failed", f.ItemIdentifier)
		}
		first = min(first, i)
	}
	return first, "reported by handler"
}

func (s *streamSource) exhausted(failures int) bool {
	return s.spec.MaximumRetryAttempts >= 0 && failures > s.spec.MaximumRetryAttempts
}

// advance checkpoints after rec. The iterator from GetRecords stays valid.
func (s *streamSource) advance(sh *shard, rec streamtypes.Record) {
	sh.pos = position{typ: streamtypes.ShardIteratorTypeAfterSequenceNumber, seq: seqOf(rec)}
	sh.failures = 0
	sh.limit = s.batchSize()
}

// retryAt makes the next read start at rec.
func (s *streamSource) retryAt(sh *shard, rec streamtypes.Record) {
	sh.pos = position{typ: streamtypes.ShardIteratorTypeAtSequenceNumber, seq: seqOf(rec)}
	sh.iterator = nil
}

// discard sends the on-failure record for failed; without an on-failure
// destination the records are only logged as lost, as Lambda drops them.
func (s *streamSource) discard(ctx context.Context, sh *shard, failed []streamtypes.Record, functionError bool) error {
	if s.failureURL == "" {
		return nil
	}
	rec := OnFailureRecord{
		RequestContext: OnFailureRequestContext{
			RequestID:              newUUID(),
			FunctionARN:            fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s-%s", s.region(), s.rt.cfg.Stack.AccountID(), s.rt.cfg.Stack.Name, s.fn.LogicalID),
			Condition:              RetryAttemptsExhausted,
			ApproximateInvokeCount: sh.failures,
		},
		ResponseContext: OnFailureResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST"},
		Version:         "1.0",
		Timestamp:       time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		DDBStreamBatchInfo: StreamBatchInfo{
			ShardID:                         sh.id,
			StartSequenceNumber:             seqOf(failed[0]),
			EndSequenceNumber:               seqOf(failed[len(failed)-1]),
			ApproximateArrivalOfFirstRecord: arrival(failed[0]),
			ApproximateArrivalOfLastRecord:  arrival(failed[len(failed)-1]),
			BatchSize:                       len(failed),
			StreamARN:                       s.streamARN,
		},
	}
	if functionError {
		rec.ResponseContext.FunctionError = "Unhandled"
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode on-failure record: %w", err)
	}
	sctx, cancel := settleContext(ctx)
	defer cancel()
	_, err = s.rt.sqs.SendMessage(sctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.failureURL), MessageBody: aws.String(string(body))})
	if err != nil {
		return fmt.Errorf("send to %s: %w", s.spec.OnFailureQueueLogicalID, err)
	}
	return nil
}

func seqOf(r streamtypes.Record) string {
	if r.Dynamodb == nil {
		return ""
	}
	return aws.ToString(r.Dynamodb.SequenceNumber)
}

func arrival(r streamtypes.Record) string {
	if r.Dynamodb == nil || r.Dynamodb.ApproximateCreationDateTime == nil {
		return ""
	}
	return r.Dynamodb.ApproximateCreationDateTime.UTC().Format(time.RFC3339)
}
