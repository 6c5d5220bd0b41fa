package usage

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// keysEndpoint answers a deletion unit's calls over DynamoDB's wire
// protocol at once: a Query with as many record keys as its Limit asks,
// up to pageKeys (what DynamoDB's 1 MB page holds of 255-byte records),
// with a LastEvaluatedKey; a BatchWriteItem with every item processed.
type keysEndpoint struct {
	pageKeys int
	queries  atomic.Int64
	writes   atomic.Int64
}

func (e *keysEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".Query") {
		e.writes.Add(1)
		_, _ = io.WriteString(w, `{"UnprocessedItems":{}}`)
		return
	}
	e.queries.Add(1)
	limit := e.pageKeys
	if _, after, ok := strings.Cut(string(body), `"Limit":`); ok {
		_, _ = fmt.Sscanf(after, "%d", &limit)
	}
	n := min(limit, e.pageKeys)
	var b strings.Builder
	b.WriteString(`{"Count":` + fmt.Sprint(n) + `,"Items":[`)
	base := int(e.queries.Load()) * e.pageKeys
	key := func(seq int) string {
		return fmt.Sprintf(`{"pk":{"S":"UREC#UF-2026-11-0000-0001#0"},"sk":{"S":%q}}`, RecordSK(1, base+seq))
	}
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(key(i))
	}
	b.WriteString(`],"LastEvaluatedKey":` + key(n-1) + `}`)
	_, _ = io.WriteString(w, b.String())
}

// BenchmarkDeleteUnit measures a deletion unit's own cost: reading
// DefaultDeleteItems record keys (Query pages of about 4,000, the most a
// 1 MB page holds of 255-byte records) and deleting them with
// BatchWriteItem (25 a call, deleteWorkers in flight), against an
// endpoint that answers at once, whose own CPU is counted (an upper
// bound). One op is one unit. This is the CPU side of the unit's figure
// in the README's "Usage at its stated limits".
func BenchmarkDeleteUnit(b *testing.B) {
	e := &keysEndpoint{pageKeys: 4000}
	store := NewStore(endpointTable(b, e), 1)
	u := DeleteUnit{File: "UF-2026-11-0000-0001", From: 1, To: 1, Shard: 0}
	b.ReportAllocs()
	cpu0 := CPUTime(b)
	b.ResetTimer()
	for range b.N {
		n, _, more, err := store.deleteShard(context.Background(), u, DefaultDeleteItems)
		if err != nil || n != DefaultDeleteItems || !more {
			b.Fatalf("unit deleted %d (more %v): %v", n, more, err)
		}
	}
	b.StopTimer()
	cpu := CPUTime(b) - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*DefaultDeleteItems), "cpu-µs/record")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/unit")
	b.ReportMetric(float64(e.queries.Load())/float64(b.N), "queries/unit")
	b.ReportMetric(float64(e.writes.Load())/float64(b.N), "writes/unit")
}
