package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/internal/fault"
)

func TestDecodeJSON(t *testing.T) {
	type body struct {
		Name  string   `json:"name"`
		Count int      `json:"count"`
		Tags  []string `json:"tags"`
	}
	tests := []struct {
		name   string
		raw    string
		strict bool
		limit  int64
		kind   fault.Kind
		frag   string
	}{
		{name: "ok", raw: `{"name":"a","count":1}`, kind: -1},
		{name: "any case", raw: `{"NAME":"a","Count":1}`, kind: -1},
		{name: "unknown field lenient", raw: `{"name":"a","extra":1}`, kind: -1},
		{name: "unknown field strict", raw: `{"name":"a","extra":1}`, strict: true, kind: fault.Invalid, frag: `"extra"`},
		{name: "empty", raw: ``, kind: fault.Malformed, frag: "empty"},
		{name: "syntax", raw: `{"name":}`, kind: fault.Malformed, frag: "not valid JSON"},
		{name: "truncated", raw: `{"name":"a"`, kind: fault.Malformed, frag: "ends too early"},
		{name: "wrong type", raw: `{"count":"many"}`, kind: fault.Malformed, frag: `"count" must be an integer`},
		{name: "wrong element type", raw: `{"tags":[1]}`, kind: fault.Malformed, frag: `must be a string`},
		{name: "array body", raw: `[]`, kind: fault.Malformed, frag: "must be an object, not array"},
		{name: "trailing", raw: `{} {}`, kind: fault.Malformed, frag: "after the JSON value"},
		{name: "too large", raw: `{"name":"` + strings.Repeat("a", 100) + `"}`, limit: 50, kind: fault.TooLarge, frag: "50 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.raw))
			if tt.limit > 0 {
				r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, tt.limit)
			}
			var b body
			err := codec.DecodeJSON(r, &b, tt.strict)
			if tt.kind == -1 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			fe, ok := fault.As(err)
			if !ok || fe.Kind != tt.kind || !strings.Contains(fe.Error(), tt.frag) {
				t.Fatalf("err = %v (kind %v), want kind %v containing %q", err, fault.KindOf(err), tt.kind, tt.frag)
			}
		})
	}
}

func TestWriteList(t *testing.T) {
	items := []int{0, 1, 2, 3, 4}
	tests := []struct {
		p    codec.Paging
		want string
		body string
	}{
		{codec.Paging{Limit: 2, Offset: 0}, "items 0-1/5", "[0,1]\n"},
		{codec.Paging{Limit: 2, Offset: 4}, "items 4-4/5", "[4]\n"},
		{codec.Paging{Limit: 2, Offset: 9}, "items 5-5/5", "[]\n"},
		{codec.Paging{Limit: 100}, "items 0-4/5", "[0,1,2,3,4]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			rec := httptest.NewRecorder()
			codec.WriteList(rec, items, tt.p)
			if got := rec.Header().Get("Content-Range"); got != tt.want || rec.Body.String() != tt.body {
				t.Errorf("Content-Range %q body %q", got, rec.Body.String())
			}
		})
	}
	rec := httptest.NewRecorder()
	codec.WriteList(rec, []int{}, codec.Paging{Limit: 10})
	if rec.Header().Get("Content-Range") != "items 0-0/0" || rec.Body.String() != "[]\n" {
		t.Errorf("empty list: %q %q", rec.Header().Get("Content-Range"), rec.Body.String())
	}
}
