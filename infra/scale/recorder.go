package scale

import (
	"context"
	"fmt"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Call is one recorded DynamoDB call and what it cost.
type Call struct {
	Op    string // the operation that caused it: "order", "relay batch", ...
	Inv   int64  // the invocation (HTTP request, handler batch) it belongs to
	Name  string // the DynamoDB operation
	Units []Unit
	Items int // items read or written
}

// Recorder is client middleware that records every DynamoDB call with
// the operation in its context, and charges it. To know what a write did
// to the table and its indexes, it reads the items it writes before and
// after the call (consistent GetItems on a client of its own, not
// recorded), holding a lock so that no other recorded write lands in
// between.
type Recorder struct {
	raw    *dynamodb.Client
	schema Schema
	rules  Rules

	on    atomic.Bool
	inv   atomic.Int64
	last  atomic.Int64 // UnixNano of the last call seen, recorded or not
	write sync.Mutex
	// pipeline says whether the event sources have handled everything
	// there was at a moment (localrun.Runtime.QuietSince); nil: no sources.
	pipeline func(time.Time) bool

	mu    sync.Mutex
	calls []Call
	invs  map[int64]Invocation
	errs  []error
}

// Invocation is one HTTP request or one handler batch.
type Invocation struct {
	Op       string
	Function string // the handler's function (its logical id); "" for an API request
	Records  int    // the batch's records (SQS messages, stream records)
	// Messages are what an SQS batch's messages carry: the job, command,
	// task or file each one is (messageOf).
	Messages []Message
	Took     time.Duration
	start    time.Time
}

// NewRecorder records calls on the table of schema; raw reads item images
// and must not carry the recorder.
func NewRecorder(raw *dynamodb.Client, schema Schema, rules Rules) *Recorder {
	return &Recorder{raw: raw, schema: schema, rules: rules, invs: map[int64]Invocation{}}
}

type labelKey struct{}

type label struct {
	op  string
	inv int64
}

// Begin starts an invocation of op: calls made with the returned context
// are attributed to it.
func (r *Recorder) Begin(ctx context.Context, op string, records int) context.Context {
	return r.begin(ctx, Invocation{Op: op, Records: records})
}

func (r *Recorder) begin(ctx context.Context, inv Invocation) context.Context {
	id := r.inv.Add(1)
	if r.on.Load() {
		inv.start = time.Now()
		r.mu.Lock()
		r.invs[id] = inv
		r.mu.Unlock()
	}
	return context.WithValue(ctx, labelKey{}, label{op: inv.Op, inv: id})
}

// End ends the invocation ctx belongs to, for its duration.
func (r *Recorder) End(ctx context.Context) {
	lbl, ok := ctx.Value(labelKey{}).(label)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if inv, ok := r.invs[lbl.inv]; ok {
		inv.Took = time.Since(inv.start)
		r.invs[lbl.inv] = inv
	}
}

// Start forgets everything recorded and records from now on.
func (r *Recorder) Start() {
	r.mu.Lock()
	r.calls, r.invs, r.errs = nil, map[int64]Invocation{}, nil
	r.mu.Unlock()
	r.on.Store(true)
}

// Stop stops recording and returns the calls and invocations recorded,
// or the first error the recorder met reading item images.
func (r *Recorder) Stop() ([]Call, map[int64]Invocation, error) {
	r.on.Store(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		return nil, nil, fmt.Errorf("scale: recorder: %w (and %d more)", r.errs[0], len(r.errs)-1)
	}
	return r.calls, r.invs, nil
}

// Touch counts as a call now: writes the recorder does not see (the
// seeding's) are followed by the pipeline's, which drain waits for.
func (r *Recorder) Touch() { r.last.Store(time.Now().UnixNano()) }

// Follow makes Drained wait for the event sources that quiet reports on.
// Call it before the sources run.
func (r *Recorder) Follow(quiet func(time.Time) bool) { r.pipeline = quiet }

// Drained says whether every event source has handled what there was at
// since.
func (r *Recorder) Drained(since time.Time) bool { return r.pipeline == nil || r.pipeline(since) }

// Idle is how long no DynamoDB call has been made.
func (r *Recorder) Idle() time.Duration { return time.Since(time.Unix(0, r.last.Load())) }

// Option installs the recorder on a client.
func (r *Recorder) Option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("mercatoScaleRecorder", r.handle), middleware.After)
	})
}

func (r *Recorder) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	r.last.Store(time.Now().UnixNano())
	defer func() { r.last.Store(time.Now().UnixNano()) }()
	if !r.on.Load() {
		return next.HandleInitialize(ctx, in)
	}
	lbl, ok := ctx.Value(labelKey{}).(label)
	if !ok {
		lbl = label{op: "unattributed"}
	}
	call := Call{Op: lbl.op, Inv: lbl.inv, Name: middleware.GetOperationName(ctx)}
	targets := r.writeTargets(in.Parameters)
	if len(targets) == 0 {
		out, md, err := next.HandleInitialize(ctx, in)
		if err == nil {
			var rerr error
			call.Units, call.Items, rerr = r.chargeRead(ctx, in.Parameters, out.Result)
			r.fail(rerr)
		}
		r.add(call)
		return out, md, err
	}
	r.write.Lock()
	defer r.write.Unlock()
	old, ierr := r.images(ctx, targets)
	r.fail(ierr)
	out, md, err := next.HandleInitialize(ctx, in)
	cur, ierr := r.images(ctx, targets)
	r.fail(ierr)
	call.Items = len(targets)
	if ierr == nil && len(old) == len(targets) {
		for i, t := range targets {
			call.Units = append(call.Units, r.schema.ChargeWrite(Write{Old: old[i], New: cur[i], Tx: t.tx, Check: t.check, Failed: err != nil}, r.rules)...)
		}
	}
	r.add(call)
	return out, md, err
}

func (r *Recorder) add(c Call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

func (r *Recorder) fail(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

// target is an item a write call names.
type target struct {
	key       map[string]types.AttributeValue
	tx, check bool
}

func (r *Recorder) writeTargets(params any) []target {
	mine := func(table *string) bool { return aws.ToString(table) == r.schema.Table }
	var ts []target
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		if mine(in.TableName) {
			ts = append(ts, target{key: r.schema.Key(in.Item)})
		}
	case *dynamodb.UpdateItemInput:
		if mine(in.TableName) {
			ts = append(ts, target{key: in.Key})
		}
	case *dynamodb.DeleteItemInput:
		if mine(in.TableName) {
			ts = append(ts, target{key: in.Key})
		}
	case *dynamodb.BatchWriteItemInput:
		for _, w := range in.RequestItems[r.schema.Table] {
			switch {
			case w.PutRequest != nil:
				ts = append(ts, target{key: r.schema.Key(w.PutRequest.Item)})
			case w.DeleteRequest != nil:
				ts = append(ts, target{key: w.DeleteRequest.Key})
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil && mine(it.Put.TableName):
				ts = append(ts, target{key: r.schema.Key(it.Put.Item), tx: true})
			case it.Update != nil && mine(it.Update.TableName):
				ts = append(ts, target{key: it.Update.Key, tx: true})
			case it.Delete != nil && mine(it.Delete.TableName):
				ts = append(ts, target{key: it.Delete.Key, tx: true})
			case it.ConditionCheck != nil && mine(it.ConditionCheck.TableName):
				ts = append(ts, target{key: it.ConditionCheck.Key, tx: true, check: true})
			}
		}
	}
	return ts
}

// images reads the items ts name, whole and consistently, in as few
// BatchGetItem calls as DynamoDB allows (100 keys each); nil for an item
// that does not exist.
func (r *Recorder) images(ctx context.Context, ts []target) ([]map[string]types.AttributeValue, error) {
	ctx = context.WithoutCancel(ctx)
	var found []map[string]types.AttributeValue
	for start := 0; start < len(ts); start += 100 {
		var keys []map[string]types.AttributeValue
		for _, t := range ts[start:min(start+100, len(ts))] {
			if !containsKey(keys, t.key) {
				keys = append(keys, t.key)
			}
		}
		req := map[string]types.KeysAndAttributes{r.schema.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
		for len(req) > 0 {
			got, err := r.raw.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("read item images: %w", err)
			}
			found = append(found, got.Responses[r.schema.Table]...)
			req = got.UnprocessedKeys
		}
	}
	out := make([]map[string]types.AttributeValue, len(ts))
	for i, t := range ts {
		for _, item := range found {
			if sameItem(r.schema.Key(item), t.key) {
				out[i] = item
				break
			}
		}
	}
	return out, nil
}

// get reads an item whole, consistently; nil when there is none.
func (r *Recorder) get(ctx context.Context, key map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	got, err := r.raw.GetItem(context.WithoutCancel(ctx), &dynamodb.GetItemInput{TableName: aws.String(r.schema.Table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read item image: %w", err)
	}
	return got.Item, nil
}

func (r *Recorder) pk(item map[string]types.AttributeValue) string {
	v, _ := scalar(item[r.schema.Hash])
	return v
}

func (r *Recorder) chargeRead(ctx context.Context, params, result any) ([]Unit, int, error) {
	units, err := r.charge(ctx, params, result)
	items := 0
	switch out := result.(type) {
	case *dynamodb.GetItemOutput:
		if out.Item != nil {
			items = 1
		}
	case *dynamodb.BatchGetItemOutput:
		for _, its := range out.Responses {
			items += len(its)
		}
	case *dynamodb.TransactGetItemsOutput:
		items = len(out.Responses)
	case *dynamodb.QueryOutput:
		items = int(out.ScannedCount)
	case *dynamodb.ScanOutput:
		items = int(out.ScannedCount)
	}
	return units, items, err
}

func (r *Recorder) charge(ctx context.Context, params, result any) ([]Unit, error) {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		out, _ := result.(*dynamodb.GetItemOutput)
		if aws.ToString(in.TableName) != r.schema.Table || out == nil {
			return nil, nil
		}
		item := out.Item
		if in.ProjectionExpression != nil && item != nil {
			var err error
			if item, err = r.get(ctx, in.Key); err != nil {
				return nil, err
			}
		}
		return []Unit{ChargeItemReads("", r.pk(in.Key), []int{dynamo.ItemSize(item)}, aws.ToBool(in.ConsistentRead), 1)}, nil
	case *dynamodb.BatchGetItemInput:
		out, _ := result.(*dynamodb.BatchGetItemOutput)
		kas, ok := in.RequestItems[r.schema.Table]
		if !ok || out == nil {
			return nil, nil
		}
		unprocessed := out.UnprocessedKeys[r.schema.Table].Keys
		return r.chargeKeys(ctx, kas.Keys, unprocessed, aws.ToBool(kas.ConsistentRead), 1)
	case *dynamodb.TransactGetItemsInput:
		var keys []map[string]types.AttributeValue
		for _, it := range in.TransactItems {
			if it.Get != nil && aws.ToString(it.Get.TableName) == r.schema.Table {
				keys = append(keys, it.Get.Key)
			}
		}
		return r.chargeKeys(ctx, keys, nil, true, 2)
	case *dynamodb.QueryInput:
		out, _ := result.(*dynamodb.QueryOutput)
		if aws.ToString(in.TableName) != r.schema.Table || out == nil {
			return nil, nil
		}
		return r.chargeQuery(ctx, in, out)
	case *dynamodb.ScanInput:
		out, _ := result.(*dynamodb.ScanOutput)
		if aws.ToString(in.TableName) != r.schema.Table || out == nil {
			return nil, nil
		}
		sizes := make([]int, len(out.Items))
		for i, it := range out.Items {
			sizes[i] = dynamo.ItemSize(it)
		}
		return []Unit{ChargeQuery(aws.ToString(in.IndexName), "(scan)", sizes, aws.ToBool(in.ConsistentRead))}, nil
	}
	return nil, nil
}

// chargeKeys charges item reads by key, reading each item whole (a
// projection does not lower the charge); unprocessed keys cost nothing.
func (r *Recorder) chargeKeys(ctx context.Context, keys, unprocessed []map[string]types.AttributeValue, consistent bool, factor float64) ([]Unit, error) {
	var units []Unit
	for _, k := range keys {
		if containsKey(unprocessed, k) {
			continue
		}
		item, err := r.get(ctx, k)
		if err != nil {
			return nil, err
		}
		units = append(units, ChargeItemReads("", r.pk(k), []int{dynamo.ItemSize(item)}, consistent, factor))
	}
	return units, nil
}

func containsKey(keys []map[string]types.AttributeValue, k map[string]types.AttributeValue) bool {
	for _, u := range keys {
		if sameItem(u, k) {
			return true
		}
	}
	return false
}

// chargeQuery charges a Query page by the items it read. With a filter,
// a projection or a count, the answer does not show them: the same page
// is read again, uncounted, with the key condition alone.
func (r *Recorder) chargeQuery(ctx context.Context, in *dynamodb.QueryInput, out *dynamodb.QueryOutput) ([]Unit, error) {
	index := aws.ToString(in.IndexName)
	hash := r.schema.Hash
	if index != "" {
		ix, ok := r.schema.Index(index)
		if !ok {
			return nil, fmt.Errorf("query of unknown index %s", index)
		}
		hash = ix.Hash
	}
	pk := PartitionOf(aws.ToString(in.KeyConditionExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues, hash)
	items := out.Items
	if in.FilterExpression != nil || in.ProjectionExpression != nil || (in.Select != "" && in.Select != types.SelectAllAttributes && in.Select != types.SelectAllProjectedAttributes) {
		again, err := r.raw.Query(context.WithoutCancel(ctx), keyConditionOnly(in))
		if err != nil {
			return nil, fmt.Errorf("read query page again: %w", err)
		}
		items = again.Items
	}
	sizes := make([]int, len(items))
	for i, it := range items {
		sizes[i] = dynamo.ItemSize(it)
	}
	return []Unit{ChargeQuery(index, pk, sizes, aws.ToBool(in.ConsistentRead) && index == "")}, nil
}

var (
	equality    = regexp.MustCompile(`([#A-Za-z0-9_.]+)\s*=\s*(:[A-Za-z0-9_]+)`)
	placeholder = regexp.MustCompile(`[#:][A-Za-z0-9_]+`)
)

// PartitionOf finds the partition key value a key condition names: the
// value compared for equality with the hash attribute.
func PartitionOf(cond string, names map[string]string, values map[string]types.AttributeValue, hash string) string {
	for _, m := range equality.FindAllStringSubmatch(cond, -1) {
		name := m[1]
		if n, ok := names[name]; ok {
			name = n
		}
		if name != hash {
			continue
		}
		if v, ok := scalar(values[m[2]]); ok {
			return v
		}
	}
	return "(unknown)"
}

// keyConditionOnly is in without its filter, projection and select, and
// with only the names and values the key condition uses.
func keyConditionOnly(in *dynamodb.QueryInput) *dynamodb.QueryInput {
	cond := aws.ToString(in.KeyConditionExpression)
	used := map[string]bool{}
	for _, p := range placeholder.FindAllString(cond, -1) {
		used[p] = true
	}
	q := &dynamodb.QueryInput{TableName: in.TableName, IndexName: in.IndexName, KeyConditionExpression: in.KeyConditionExpression,
		ExclusiveStartKey: in.ExclusiveStartKey, Limit: in.Limit, ScanIndexForward: in.ScanIndexForward, ConsistentRead: in.ConsistentRead}
	for k, v := range in.ExpressionAttributeNames {
		if used[k] {
			if q.ExpressionAttributeNames == nil {
				q.ExpressionAttributeNames = map[string]string{}
			}
			q.ExpressionAttributeNames[k] = v
		}
	}
	for k, v := range in.ExpressionAttributeValues {
		if used[k] {
			if q.ExpressionAttributeValues == nil {
				q.ExpressionAttributeValues = map[string]types.AttributeValue{}
			}
			q.ExpressionAttributeValues[k] = v
		}
	}
	return q
}
