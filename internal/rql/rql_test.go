package rql

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/fault"
)

func TestParse(t *testing.T) {
	allowed := []string{"status", "name", "created", "asset.product.id"}
	tests := []struct {
		name    string
		raw     string
		want    Query
		wantErr string
	}{
		{name: "plain", raw: "status=pending&limit=10",
			want: Query{Filters: []Filter{{"status", Eq, []string{"pending"}}}}},
		{name: "dotted field", raw: "asset.product.id=PRD-1",
			want: Query{Filters: []Filter{{"asset.product.id", Eq, []string{"PRD-1"}}}}},
		{name: "suffix op", raw: "created.gt=2026-01-01&status.in=draft,published",
			want: Query{Filters: []Filter{{"created", Gt, []string{"2026-01-01"}}, {"status", In, []string{"draft", "published"}}}}},
		{name: "rql eq", raw: "eq(status,draft)",
			want: Query{Filters: []Filter{{"status", Eq, []string{"draft"}}}}},
		{name: "rql in and ordering", raw: "and(in(status,(draft,published)),eq(name,Web%20Conf))&ordering(-created,name)",
			want: Query{
				Filters: []Filter{{"status", In, []string{"draft", "published"}}, {"name", Eq, []string{"Web Conf"}}},
				Order:   []Order{{"created", true}, {"name", false}},
			}},
		{name: "in single value", raw: "in(status,draft)",
			want: Query{Filters: []Filter{{"status", In, []string{"draft"}}}}},
		{name: "unknown field", raw: "colour=red", wantErr: "colour"},
		{name: "unknown order field", raw: "ordering(-updated)", wantErr: "updated"},
		{name: "unknown operator", raw: "like(name,*x*)", wantErr: "unsupported operator"},
		{name: "unclosed", raw: "eq(status,draft", wantErr: "unclosed"},
		{name: "trailing", raw: "eq(status,draft)x", wantErr: "unexpected"},
		{name: "wrong arity", raw: "eq(status)", wantErr: "field and a value"},
		{name: "and of values", raw: "and(status,draft)", wantErr: "expressions"},
		{name: "too deep", raw: "and(and(and(and(and(and(and(and(and(eq(a,b))))))))))", wantErr: "deeper"},
		{name: "time field, not a time", raw: "created.gt=notadate", wantErr: `created takes an RFC 3339 time`},
		{name: "time field, impossible date", raw: "eq(created,2026-13-45)", wantErr: `"2026-13-45"`},
		{name: "time field, one bad value of in", raw: "created.in=2026-01-01,yesterday", wantErr: `"yesterday"`},
		{name: "time field, full time", raw: "created.le=2026-01-01T10:00:00.5%2B01:00",
			want: Query{Filters: []Filter{{"created", Le, []string{"2026-01-01T10:00:00.5+01:00"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(q, allowed...)
			if tt.wantErr != "" {
				if !fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want Invalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

type row struct{ status, name, created string }

func TestApply(t *testing.T) {
	rows := []row{
		{"draft", "b", "2026-01-02"},
		{"published", "a", "2026-01-03"},
		{"draft", "c", "2026-01-01"},
		{"endofsale", "d", "2026-01-04"},
	}
	value := func(r row, f string) string {
		switch f {
		case "status":
			return r.status
		case "name":
			return r.name
		}
		return r.created
	}
	tests := []struct {
		raw  string
		want []string
	}{
		{"", []string{"b", "a", "c", "d"}},
		{"status=draft", []string{"b", "c"}},
		{"ordering(-created)", []string{"d", "a", "b", "c"}},
		{"out(status,(draft))&ordering(name)", []string{"a", "d"}},
		{"created.ge=2026-01-02&created.lt=2026-01-04", []string{"b", "a"}},
		{"ne(status,draft)&ordering(-name)", []string{"d", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, applyNames(t, tt.raw, rows, value, "status", "name", "created")); diff != "" {
				t.Errorf("Apply (-want +got):\n%s", diff)
			}
		})
	}
}

// applyNames parses raw, applies it to rows and answers the names kept, in
// order.
func applyNames(t *testing.T, raw string, rows []row, value Value[row], fields ...string) []string {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(v, fields...)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range Apply(q, rows, value) {
		got = append(got, r.name)
	}
	return got
}

type applyCase struct {
	raw  string
	want []string
}

// checkApply runs each case on rows, whose created column is read as
// field, and compares the names kept.
func checkApply(t *testing.T, rows []row, field string, cases []applyCase) {
	t.Helper()
	value := func(r row, f string) string {
		if f == "name" {
			return r.name
		}
		return r.created
	}
	for _, tt := range cases {
		t.Run(tt.raw, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, applyNames(t, tt.raw, rows, value, "name", field)); diff != "" {
				t.Errorf("Apply (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApply_Times: times come as RFC 3339 with as many fraction digits as
// they need, so as strings "10:00:00.5Z" sorts before "10:00:00Z"; bounds
// and ordering must see instants.
func TestApply_Times(t *testing.T) {
	rows := []row{
		{name: "half", created: "2026-01-01T10:00:00.5Z"},
		{name: "whole", created: "2026-01-01T10:00:00Z"},
		{name: "before", created: "2026-01-01T09:59:59.999Z"},
		{name: "next", created: "2026-01-01T10:00:01Z"},
		{name: "paris", created: "2026-01-01T11:00:00.25+01:00"},
		{name: "none", created: ""},
	}
	checkApply(t, rows, "created", []applyCase{
		{"created.gt=2026-01-01T10:00:00Z", []string{"half", "next", "paris"}},
		{"created.ge=2026-01-01T10:00:00Z", []string{"half", "whole", "next", "paris"}},
		{"created.lt=2026-01-01T10:00:00Z", []string{"before", "none"}},
		{"created.le=2026-01-01T10:00:00Z", []string{"whole", "before", "none"}},
		{"gt(created,2026-01-01T10:00:00Z)&lt(created,2026-01-01T10:00:01Z)", []string{"half", "paris"}},
		{"created.gt=2026-01-01T10:00:00.4Z&created.le=2026-01-01T10:00:00.500Z", []string{"half"}},
		{"created=2026-01-01T10:00:00.000Z", []string{"whole"}},
		{"created.in=2026-01-01T10:00:00.5Z,2026-01-01T10:00:00.25Z", []string{"half", "paris"}},
		{"created.ge=2026-01-01&created.lt=2026-01-02", []string{"half", "whole", "before", "next", "paris"}},
		{"created.lt=2026-01-01", []string{"none"}},
		{"ordering(created)", []string{"none", "before", "whole", "paris", "half", "next"}},
		{"ordering(-created)", []string{"next", "half", "paris", "whole", "before", "none"}},
	})
}

// TestApply_Numbers: whole numbers (versions, quantities) are written with
// as many digits as they need, so as strings "10" sorts before "9".
func TestApply_Numbers(t *testing.T) {
	rows := []row{{name: "nine", created: "9"}, {name: "ten", created: "10"}, {name: "two", created: "2"}}
	checkApply(t, rows, "version", []applyCase{
		{"ordering(version)", []string{"two", "nine", "ten"}},
		{"ordering(-version)", []string{"ten", "nine", "two"}},
		{"version.gt=2", []string{"nine", "ten"}},
		{"version.lt=10", []string{"nine", "two"}},
		{"eq(version,10)", []string{"ten"}},
		{"in(version,(2,10))", []string{"ten", "two"}},
	})
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-01-01T10:00:00Z", "2026-01-01T10:00:00.000000000Z"},
		{"2026-01-01T10:00:00.5Z", "2026-01-01T10:00:00.500000000Z"},
		{"2026-01-01T12:00:00+02:00", "2026-01-01T10:00:00.000000000Z"},
		{"2026-01-01", "2026-01-01T00:00:00.000000000Z"},
		{"2026-13-01", "2026-13-01"},
		{"2026-01-01x", "2026-01-01x"},
		{"PR-1234-5678", "PR-1234-5678"},
		{"pending", "pending"},
		{"", ""},
		{"9", "0000000000000000009"},
		{"10", "0000000000000000010"},
		{"-1", "-1"},
		{"1.5", "1.5"},
		{"12345678901234567890", "12345678901234567890"},
	}
	for _, tt := range tests {
		if got := canonical(tt.in); got != tt.want {
			t.Errorf("canonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"status=pending", "and(in(status,(a,b)),eq(name,x))&ordering(-created)", "eq(", "((((", "in(status,(a,(b)))"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := Parse(q, "status", "name", "created")
		if err != nil {
			if _, ok := fault.As(err); !ok {
				t.Fatalf("non-domain error %v", err)
			}
			return
		}
		for _, flt := range got.Filters {
			if len(flt.Values) == 0 {
				t.Fatalf("filter without values: %+v", flt)
			}
		}
	})
}
