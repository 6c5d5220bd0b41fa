package usage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

// batchSize is DynamoDB's limit of items per BatchWriteItem.
const batchSize = 25

// Retries of a batch's unprocessed items: DynamoDB returns them when the
// table is throttled, and asks the caller to back off.
const (
	batchAttempts = 10
	batchBackoff  = 50 * time.Millisecond
	batchMaxPause = 2 * time.Second
)

// BatchWriter writes items with BatchWriteItem, 25 at a time, with at most
// workers calls in flight. Unprocessed items are sent again with
// exponential backoff; an error stops the writer and is returned by Close.
// Writes are not ordered and not atomic: callers write items that are not
// visible until a later conditional write (a file's records, an invoice's
// lines) points at them.
type BatchWriter struct {
	table *dynamo.Table
	ctx   context.Context
	stop  context.CancelFunc
	work  chan []types.WriteRequest
	buf   []types.WriteRequest
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
	n     int
}

// NewBatchWriter starts a writer on table with workers concurrent calls.
func NewBatchWriter(ctx context.Context, table *dynamo.Table, workers int) *BatchWriter {
	ctx, stop := context.WithCancel(ctx)
	w := &BatchWriter{table: table, ctx: ctx, stop: stop, work: make(chan []types.WriteRequest)}
	for range max(workers, 1) {
		w.wg.Add(1)
		go w.run()
	}
	return w
}

func (w *BatchWriter) run() {
	defer w.wg.Done()
	for batch := range w.work {
		if w.ctx.Err() != nil {
			continue
		}
		if err := w.write(batch); err != nil {
			w.fail(err)
		}
	}
}

func (w *BatchWriter) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
		w.stop()
	}
}

// write sends one batch until every item is processed.
func (w *BatchWriter) write(batch []types.WriteRequest) error {
	pause := batchBackoff
	for attempt := 1; ; attempt++ {
		out, err := w.table.Client.BatchWriteItem(w.ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{w.table.Name: batch},
		})
		if err != nil {
			return fmt.Errorf("usage: batch write: %w", err)
		}
		batch = out.UnprocessedItems[w.table.Name]
		if len(batch) == 0 {
			return nil
		}
		if attempt == batchAttempts {
			return fmt.Errorf("usage: batch write: %d items still unprocessed after %d attempts", len(batch), attempt)
		}
		select {
		case <-time.After(pause):
		case <-w.ctx.Done():
			return w.ctx.Err()
		}
		pause = min(pause*2, batchMaxPause)
	}
}

func (w *BatchWriter) add(r types.WriteRequest) error {
	if err := w.Err(); err != nil {
		return err
	}
	w.buf = append(w.buf, r)
	w.n++
	if len(w.buf) == batchSize {
		return w.flush()
	}
	return nil
}

func (w *BatchWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	batch := w.buf
	w.buf = make([]types.WriteRequest, 0, batchSize)
	select {
	case w.work <- batch:
		return nil
	case <-w.ctx.Done():
		return errors.Join(w.Err(), w.ctx.Err())
	}
}

// Put queues an item.
func (w *BatchWriter) Put(item map[string]types.AttributeValue) error {
	return w.add(types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
}

// Delete queues the deletion of the item at k.
func (w *BatchWriter) Delete(k dynamo.Key) error {
	return w.add(types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k.AV()}})
}

// Err is the first error of any batch so far.
func (w *BatchWriter) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close sends what is queued, waits for every call and returns the first
// error. It returns how many items were written.
func (w *BatchWriter) Close() (int, error) {
	ferr := w.flush()
	close(w.work)
	w.wg.Wait()
	w.stop()
	if err := w.Err(); err != nil {
		return 0, err
	}
	return w.n, ferr
}
