package scale

import (
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

func TestCloner_Learn(t *testing.T) {
	const order, other = "0a1b2c3d4e5f", "ffeeddccbbaa"
	items := []map[string]av{
		{"pk": s("ORDER#" + order), "sk": s("ORDER"), "customer": s("CUSTOMER#3f2c1a9e-1b2c-4d3e-8f90-123456789abc")},
		{"pk": s("REQUEST#PR-1234-5678-9012-001"), "sk": s("REQUEST"), "order": s(order)},
		{"pk": s("ASSET#AS-1234-5678-9012"), "sk": s("ASSET"), "request": s("PR-1234-5678-9012-001")},
		{"pk": s("EVENT#EV-1111-2222"), "sk": s("EVENT"), "data": s(`{"order":"` + order + `"}`), "expires_at": n("1")},
		// A roll-up that lists the order: its key is shared, so it is not
		// copied, and the other order it lists stays out of the family.
		{"pk": s("CUSTOMER#3f2c1a9e-1b2c-4d3e-8f90-123456789abc"), "sk": s("ORDERS"), "orders": &types.AttributeValueMemberSS{Value: []string{order, other}}},
		{"pk": s("ORDER#" + other), "sk": s("ORDER")},
		{"pk": s("PRODUCT#PRD-123-456-789"), "sk": s("PRODUCT")},
	}
	shared := map[string]bool{"3f2c1a9e-1b2c-4d3e-8f90-123456789abc": true, "PRD-123-456-789": true}
	c := &Cloner{Schema: testSchema, TTL: "expires_at"}
	c.Learn(items, order, shared)
	var got []string
	for _, it := range c.family {
		got = append(got, it["pk"].(*types.AttributeValueMemberS).Value)
	}
	sort.Strings(got)
	want := []string{"ASSET#AS-1234-5678-9012", "ORDER#" + order, "REQUEST#PR-1234-5678-9012-001"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("family (-want +got):\n%s", d)
	}
	ids := append([]string(nil), c.ids...)
	sort.Strings(ids)
	if d := cmp.Diff([]string{order, "AS-1234-5678-9012", "EV-1111-2222", "PR-1234-5678-9012-001"}, ids); d != "" {
		t.Errorf("ids (-want +got):\n%s", d)
	}
}

func TestCloner_Fresh(t *testing.T) {
	c := &Cloner{ids: []string{"0a1b2c3d4e5f", "AS-1234-5678-9012", "3f2c1a9e-1b2c-4d3e-8f90-123456789abc"}}
	pairs := c.fresh()
	for i := 0; i < len(pairs); i += 2 {
		from, to := pairs[i], pairs[i+1]
		if from == to || len(from) != len(to) || idPattern.FindString(to) != to {
			t.Errorf("%s → %s: want a different id of the same form", from, to)
		}
	}
	item := map[string]av{"pk": s("ASSET#AS-1234-5678-9012"), "l": list(s("AS-1234-5678-9012"), n("7")), "keep": s("PRD-123-456-789")}
	got := mapItem(item, strings.NewReplacer(pairs...))
	if v := got["pk"].(*types.AttributeValueMemberS).Value; v != "ASSET#"+pairs[3] {
		t.Errorf("pk = %s, want ASSET#%s", v, pairs[3])
	}
	if v := got["l"].(*types.AttributeValueMemberL).Value[0].(*types.AttributeValueMemberS).Value; v != pairs[3] {
		t.Errorf("list element = %s, want %s", v, pairs[3])
	}
	if v := got["keep"].(*types.AttributeValueMemberS).Value; v != "PRD-123-456-789" {
		t.Errorf("shared id changed: %s", v)
	}
}
