package usage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/layout"
)

// batchEndpoint answers BatchWriteItem over DynamoDB's wire protocol,
// leaving the first unprocessed items of each call unprocessed while
// unprocessed is above zero (as DynamoDB does when throttled), and counts
// the items it took per partition key. A nil written map answers without
// reading the request, for the benchmark.
type batchEndpoint struct {
	mu          sync.Mutex
	unprocessed int
	calls       int
	written     map[string]int
}

func (e *batchEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if e.written == nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"UnprocessedItems":{}}`)
		return
	}
	var in struct {
		RequestItems map[string][]struct {
			PutRequest struct {
				Item map[string]map[string]any
			}
		}
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out := map[string]any{"UnprocessedItems": map[string]any{}}
	e.mu.Lock()
	e.calls++
	for table, reqs := range in.RequestItems {
		keep := min(e.unprocessed, len(reqs))
		e.unprocessed -= keep
		if keep > 0 {
			out["UnprocessedItems"] = map[string]any{table: reqs[:keep]}
		}
		for _, req := range reqs[keep:] {
			e.written[fmt.Sprint(req.PutRequest.Item["pk"]["S"])]++
		}
	}
	e.mu.Unlock()
	_ = json.NewEncoder(w).Encode(out)
}

func endpointTable(t testing.TB, e http.Handler) *dynamo.Table {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	return &dynamo.Table{Client: client, Name: "mercato"}
}

func benchRecord(seq int) Record {
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC).Add(time.Duration(seq%600) * time.Hour)
	return Record{RecordID: fmt.Sprintf("rec-%08d", seq), Item: ItemRef{ID: "PRD-111-222-333-0002", MPN: "MIN"},
		Asset: Ref{ID: fmt.Sprintf("AS-0000-0000-%04d", seq%1000)}, Quantity: "12.5", Price: "0.05",
		Start: start, End: start.Add(time.Hour), Row: seq + 2}
}

// TestBatchWriter_RetriesUnprocessedAndSpreadsShards writes a file's
// records through the writer: items DynamoDB leaves unprocessed are sent
// again, and every shard receives an even share.
func TestBatchWriter_RetriesUnprocessedAndSpreadsShards(t *testing.T) {
	const n = 64 * layout.RecordBlock * 3
	for _, c := range []struct {
		name        string
		unprocessed int
		minCalls    int
	}{
		{"all processed", 0, n / batchSize},
		{"throttled at first", 40, n/batchSize + 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &batchEndpoint{unprocessed: c.unprocessed, written: map[string]int{}}
			w := NewBatchWriter(context.Background(), endpointTable(t, e), 8)
			for seq := range n {
				item := recordItem("UF-2026-11-0000-0001", 1, seq, layout.UsageRecordShards, benchRecord(seq))
				if err := w.Put(item); err != nil {
					t.Fatal(err)
				}
			}
			written, err := w.Close()
			if err != nil || written != n {
				t.Fatalf("Close = %d, %v", written, err)
			}
			if e.calls < c.minCalls {
				t.Errorf("%d calls, want at least %d", e.calls, c.minCalls)
			}
			if len(e.written) != layout.UsageRecordShards {
				t.Errorf("%d shards written, want %d", len(e.written), layout.UsageRecordShards)
			}
			for pk, got := range e.written {
				if got != n/layout.UsageRecordShards {
					t.Errorf("%s holds %d records, want %d", pk, got, n/layout.UsageRecordShards)
				}
			}
		})
	}
}

// BenchmarkRecordWrite measures the usage function's own cost of writing
// records (marshalling each record, serialising and sending
// BatchWriteItem calls, 32 in flight) against an endpoint that answers at
// once: the client's side of the write pass, which bounds how fast the
// function can write whatever DynamoDB's speed. One op is one record.
// cpu-µs/record is the process's CPU time (user and system, the endpoint's
// share included, so an upper bound) per record: on a shared machine it
// holds where the wall-clock rate does not.
func BenchmarkRecordWrite(b *testing.B) {
	table := endpointTable(b, &batchEndpoint{})
	var size atomic.Int64
	b.ReportAllocs()
	cpu0 := CPUTime(b)
	b.ResetTimer()
	w := NewBatchWriter(context.Background(), table, 32)
	for seq := range b.N {
		item := recordItem("UF-2026-11-0000-0001", 1, seq, layout.UsageRecordShards, benchRecord(seq))
		if seq == 0 {
			size.Store(int64(itemSize(item)))
		}
		if err := w.Put(item); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64((CPUTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/record")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)*batchSize, "µs/batch")
	b.ReportMetric(float64(size.Load()), "item-bytes")
}

// itemSize is DynamoDB's size of a record item (string and number
// attributes only): names plus values, numbers at about half a byte a
// digit.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value)/2 + 1
		}
	}
	return n
}

// BenchmarkClaimCheck measures the usage function's own cost of checking
// record ids against other files' claims: one BatchGetItem of 100 keys
// per op, against an endpoint that answers at once that none is claimed.
func BenchmarkClaimCheck(b *testing.B) {
	store := NewStore(endpointTable(b, &batchEndpoint{}), 1)
	ids := make([]string, claimBatch)
	for i := range ids {
		ids[i] = fmt.Sprintf("rec-%08d", i)
	}
	b.ReportAllocs()
	cpu0 := CPUTime(b)
	b.ResetTimer()
	for range b.N {
		if _, err := store.Owners(context.Background(), "PRD-111-222-333", ids); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((CPUTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/call")
}
