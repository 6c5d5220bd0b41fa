package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/layout"
)

// fshop is a shop like the ordering tests' (the lab product with a
// required ordering parameter, listed monthly and yearly, suspend/resume
// supported, and a customer) on a DynamoDB table of its own. The emulator
// copies a whole table, stream records included, on every transaction, so
// on the package's shared table each write costs more than the last; a
// fresh table with the template's keys and indexes keeps these tests fast
// whatever ran before them. Events still commit to it; no relay reads them
// here (the pipeline is tested end to end in internal/fulfillment).
type fshop struct {
	*shop
	env stacktest.Env
}

// newFreshFixture is newFixture on a DynamoDB table of its own (see fshop).
func newFreshFixture(t *testing.T) (*fixture, stacktest.Env) {
	t.Helper()
	env := *stacktest.Shared(t)
	env.Config.TableName = freshTable(t, &env)
	counter := dynamo.NewCounter()
	a := env.App(t, app.Options{DynamoOptions: []func(*dynamodb.Options){counter.Option}})
	f := &fixture{t: t, env: &env, app: a, api: a.API(), counter: counter}
	var err error
	if f.admin, err = a.Accounts.Ensure(context.Background(), "test-admin", account.CreateAccountInput{Type: account.Admin, Name: "Test admin"}); err != nil {
		t.Fatal(err)
	}
	f.vendor = f.createAccount(account.Vendor, "Front Street Inc.")
	f.provider = f.createAccount(account.Provider, "Apollo Hub")
	return f, env
}

func newFreshShop(t *testing.T) *fshop {
	t.Helper()
	f, env := newFreshFixture(t)
	cf := &catalogFixture{fixture: f}
	f.do(http.MethodPost, "/public/v1/marketplaces", f.provider.Token.Value,
		map[string]any{"name": "Apollo US", "currency": "USD", "countries": []string{"US", "CA"}}, http.StatusCreated, &cf.mp)
	s := &shop{catalogFixture: cf}
	s.lab = s.buildLab(t)
	s.open(t)
	return &fshop{shop: s, env: env}
}

// freshTable creates a table with the keys and indexes of the stack's, and
// no stream, for one test.
func freshTable(t *testing.T, env *stacktest.Env) string {
	t.Helper()
	ctx := context.Background()
	client := dynamodb.NewFromConfig(env.AWS)
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(env.Config.TableName)})
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s-%s", env.Config.TableName, strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")))
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), AttributeDefinitions: desc.Table.AttributeDefinitions,
		KeySchema: desc.Table.KeySchema, BillingMode: ddbtypes.BillingModePayPerRequest}
	for _, g := range desc.Table.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection})
	}
	if _, err := client.CreateTable(ctx, in); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

// placed is an order of one line, with the asset and the purchase request
// it made.
type placed struct {
	order, asset, request string
}

// order places an order of qty of the shop's monthly item.
func (s *shop) order(t *testing.T, qty int) placed {
	t.Helper()
	var o struct {
		ID        string `json:"id"`
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	s.do(http.MethodPost, s.ordersPath(), s.provider.Token.Value, map[string]any{"lineItems": []any{s.line(s.lab.item, qty)}}, http.StatusCreated, &o)
	sub := o.LineItems[0].SubscriptionID
	return placed{order: o.ID, asset: sub, request: fulfillment.RequestID(sub, 1)}
}

func reqPath(id string, action ...string) string {
	return strings.Join(append([]string{"/public/v1/requests/" + id}, action...), "/")
}

// act runs a vendor action and checks its status.
func (s *shop) act(t *testing.T, id, action string, body any, want int) fulfillment.Request {
	t.Helper()
	var r fulfillment.Request
	var out any = &r
	if want != http.StatusOK {
		out = nil
	}
	s.do(http.MethodPost, reqPath(id, action), s.vendor.Token.Value, body, want, out)
	return r
}

// fill sets the shop's required fulfillment parameter.
func (s *shop) fill(t *testing.T, id string) {
	t.Helper()
	s.do(http.MethodPut, reqPath(id), s.vendor.Token.Value, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_admin_email", "value": "admin@contoso.example"}}}}, http.StatusOK, nil)
}

// approve fills the parameter and approves with the activation template.
func (s *shop) approve(t *testing.T, id string) fulfillment.Request {
	t.Helper()
	s.fill(t, id)
	return s.act(t, id, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
}

func (s *shop) asset(t *testing.T, id string) fulfillment.Asset {
	t.Helper()
	var a fulfillment.Asset
	s.do(http.MethodGet, "/public/v1/assets/"+id, s.vendor.Token.Value, nil, http.StatusOK, &a)
	return a
}

func ids(rs []fulfillment.Request) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestFulfillment_Queue(t *testing.T) {
	s := newFreshShop(t)
	p := []placed{s.order(t, 1), s.order(t, 2), s.order(t, 3)}
	s.do(http.MethodPut, reqPath(p[1].request), s.vendor.Token.Value, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_tenant", "value_error": "this tenant name is taken"}}}}, http.StatusOK, nil)
	s.act(t, p[1].request, "inquire", nil, http.StatusOK)
	s.act(t, p[2].request, "assign", map[string]any{"id": "UR-123-456", "name": "Jane"}, http.StatusOK)
	v := s.vendor.Token.Value
	tests := []struct {
		name  string
		query string
		token string
		want  []string
		rng   string
	}{
		{name: "vendor queue", query: "", token: v, want: []string{p[0].request, p[1].request, p[2].request}},
		{name: "pending", query: "?status=pending", token: v, want: []string{p[0].request, p[2].request}},
		{name: "inquiring", query: "?status=inquiring", token: v, want: []string{p[1].request}},
		{name: "RQL in", query: "?in(status,(inquiring,approved))", token: v, want: []string{p[1].request}},
		{name: "newest first", query: "?status=pending&ordering(-created)", token: v, want: []string{p[2].request, p[0].request}},
		{name: "type and product", query: "?type=purchase&asset.product.id=" + s.lab.product.ID, token: v, want: []string{p[0].request, p[1].request, p[2].request}},
		{name: "product alias, none", query: "?product=PRD-000-000-000", token: v, want: []string{}},
		{name: "marketplace", query: "?marketplace.id=" + s.mp.ID + "&status=pending", token: v, want: []string{p[0].request, p[2].request}},
		{name: "asset", query: "?asset.id=" + p[1].asset, token: v, want: []string{p[1].request}},
		{name: "assignee", query: "?assignee.id=UR-123-456", token: v, want: []string{p[2].request}},
		{name: "created range", query: "?created.gt=2000-01-01&created.lt=2999-01-01&limit=2&offset=1", token: v, want: []string{p[1].request, p[2].request}, rng: "items 1-2/3"},
		{name: "provider sees its requests", query: "?status=inquiring", token: s.provider.Token.Value, want: []string{p[1].request}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []fulfillment.Request
			res := s.do(http.MethodGet, "/public/v1/requests"+tt.query, tt.token, nil, http.StatusOK, &got)
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if tt.rng != "" && res.header.Get("Content-Range") != tt.rng {
				t.Errorf("Content-Range = %q, want %q", res.header.Get("Content-Range"), tt.rng)
			}
		})
	}
	t.Run("created range within a second", func(t *testing.T) {
		// Created times carry their fraction digits ("…:05.123456Z"); a
		// bound to the second ("…:05Z") must still compare as an instant.
		var all []fulfillment.Request
		s.do(http.MethodGet, "/public/v1/requests", v, nil, http.StatusOK, &all)
		lo := all[1].Created.UTC().Truncate(time.Second)
		hi := lo.Add(time.Second)
		var want []string
		for _, r := range slices.Backward(all) {
			if !r.Created.Before(lo) && r.Created.Before(hi) {
				want = append(want, r.ID)
			}
		}
		var got []fulfillment.Request
		s.do(http.MethodGet, "/public/v1/requests?created.ge="+lo.Format(time.RFC3339)+"&created.lt="+hi.Format(time.RFC3339)+"&ordering(-created)",
			v, nil, http.StatusOK, &got)
		if diff := cmp.Diff(want, ids(got)); diff != "" || len(want) == 0 {
			t.Errorf("requests in [%s, %s) (-want +got):\n%s", lo.Format(time.RFC3339), hi.Format(time.RFC3339), diff)
		}
		upTo := all[1].Created.UTC().Format(time.RFC3339Nano)
		s.do(http.MethodGet, "/public/v1/requests?created.le="+upTo+"&ordering(-created)", v, nil, http.StatusOK, &got)
		if diff := cmp.Diff([]string{p[1].request, p[0].request}, ids(got)); diff != "" {
			t.Errorf("requests up to %s (-want +got):\n%s", upTo, diff)
		}
	})
	t.Run("one Query per shard of the status list, no Scan", func(t *testing.T) {
		c := s.instance(t, nil) // a cold instance, which reads the token
		c.do(http.MethodGet, "/public/v1/requests?status=pending", v, nil, http.StatusOK, nil)
		if diff := cmp.Diff(map[string]int{"GetItem": 1, "Query": layout.Shards, "BatchGetItem": 1}, c.counter.Calls()); diff != "" {
			t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		connectError(t, s.call(http.MethodGet, "/public/v1/requests?color=red", v, nil), 400, "VAL_001", "color")
		connectError(t, s.call(http.MethodGet, "/public/v1/requests", s.admin.Token.Value, nil), 403, "AUTH_002")
		other := s.createAccount(account.Vendor, "Other Vendor")
		var none []fulfillment.Request
		s.do(http.MethodGet, "/public/v1/requests", other.Token.Value, nil, http.StatusOK, &none)
		if len(none) != 0 {
			t.Errorf("another vendor sees %d requests", len(none))
		}
		connectError(t, s.call(http.MethodGet, reqPath(p[0].request), other.Token.Value, nil), 404, "OBJ_001")
		connectError(t, s.call(http.MethodGet, reqPath("PR-nonsense"), v, nil), 404, "OBJ_001")
	})
	t.Run("request shape", func(t *testing.T) {
		var r fulfillment.Request
		s.do(http.MethodGet, reqPath(p[0].request), v, nil, http.StatusOK, &r)
		if r.Asset.ID != p[0].asset || len(r.Asset.Items) != 1 || r.Asset.Items[0].Quantity != "1" || len(r.Asset.Params) != 2 ||
			r.Asset.Tiers.Customer.Name != "Contoso Ltd" || r.Marketplace.ID != s.mp.ID || r.Asset.Vendor.Name != "Front Street Inc." {
			t.Errorf("request = %+v", r)
		}
	})
}

func TestFulfillment_IllegalTransitions(t *testing.T) {
	s := newFreshShop(t)
	byStatus := map[string]string{}
	for _, st := range []string{"pending", "inquiring", "approved", "failed"} {
		byStatus[st] = s.order(t, 1).request
	}
	s.do(http.MethodPut, reqPath(byStatus["inquiring"]), s.vendor.Token.Value, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_tenant", "value_error": "taken"}}}}, http.StatusOK, nil)
	s.act(t, byStatus["inquiring"], "inquire", nil, http.StatusOK)
	s.approve(t, byStatus["approved"])
	s.act(t, byStatus["failed"], "fail", map[string]any{"reason": "no stock"}, http.StatusOK)

	bodies := map[string]any{"approve": map[string]any{"template_id": s.lab.template.ID}, "fail": map[string]any{"reason": "r"}}
	illegal := map[string][]string{
		"pending":   {"pend"},
		"inquiring": {"inquire"},
		"approved":  {"pend", "inquire", "approve", "fail", "assign", "unassign", "PUT"},
		"failed":    {"pend", "inquire", "approve", "fail", "assign", "unassign", "PUT"},
	}
	for status, actions := range illegal {
		for _, action := range actions {
			t.Run(status+"/"+action, func(t *testing.T) {
				id := byStatus[status]
				var res response
				if action == "PUT" {
					res = s.call(http.MethodPut, reqPath(id), s.vendor.Token.Value, map[string]any{"note": "late"})
				} else {
					res = s.call(http.MethodPost, reqPath(id, action), s.vendor.Token.Value, bodies[action])
				}
				connectError(t, res, 400, "REQ_003", "it is "+status)
			})
		}
	}
	t.Run("provider answer of an approved request", func(t *testing.T) {
		res := s.call(http.MethodPut, reqPath(byStatus["approved"]), s.provider.Token.Value, map[string]any{"asset": map[string]any{"params": []any{
			map[string]any{"id": "param_tenant", "value": "x"}}}})
		connectError(t, res, 400, "REQ_003", "it is approved", "final status")
	})
	t.Run("the provider and the admin cannot act", func(t *testing.T) {
		connectError(t, s.call(http.MethodPost, reqPath(byStatus["pending"], "approve"), s.provider.Token.Value, bodies["approve"]), 403, "AUTH_002")
		connectError(t, s.call(http.MethodPost, reqPath(byStatus["pending"], "fail"), s.admin.Token.Value, bodies["fail"]), 403, "AUTH_002")
		other := s.createAccount(account.Vendor, "Other Vendor")
		connectError(t, s.call(http.MethodPost, reqPath(byStatus["pending"], "fail"), other.Token.Value, bodies["fail"]), 404, "OBJ_001")
	})
}

func TestFulfillment_ApprovePreconditions(t *testing.T) {
	s := newFreshShop(t)
	p := s.order(t, 2)
	v := s.vendor.Token.Value
	tests := []struct {
		name      string
		body      any
		status    int
		code      string
		fragments []string
	}{
		{"no body", nil, 400, "REQ_001", []string{"empty"}},
		{"no template", map[string]any{}, 400, "VAL_001", []string{"template_id is required"}},
		{"unknown template", map[string]any{"template_id": "TL-000-000-000"}, 400, "VAL_001", []string{"TL-000-000-000 is not a template"}},
		{"unknown field", map[string]any{"template_id": s.lab.template.ID, "activation_tile": "x"}, 400, "VAL_001", []string{"activation_tile"}},
		{"required fulfillment parameter empty", map[string]any{"template_id": s.lab.template.ID}, 400, "VAL_001", []string{"param_admin_email (Administrator email)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connectError(t, s.call(http.MethodPost, reqPath(p.request, "approve"), v, tt.body), tt.status, tt.code, tt.fragments...)
		})
	}
	t.Run("PUT ignores read-only fields and refuses unknown ones by name", func(t *testing.T) {
		res := s.call(http.MethodPut, reqPath(p.request), v, map[string]any{"status": "approved", "notes": "x",
			"asset": map[string]any{"id": "AS-1", "parms": []any{}, "params": []any{map[string]any{"id": "param_tenant", "title": "T", "valeu": "ok"}}}})
		connectError(t, res, 400, "VAL_001", "unknown field notes", "unknown field asset.parms", "unknown field asset.params[0].valeu")
		var back map[string]any
		s.do(http.MethodGet, reqPath(p.request), v, nil, http.StatusOK, &back)
		back["note"] = "read, changed and sent back"
		var got fulfillment.Request
		s.do(http.MethodPut, reqPath(p.request), v, back, http.StatusOK, &got)
		if got.Note != "read, changed and sent back" || got.Status != fulfillment.StatusPending {
			t.Errorf("round trip = note %q, status %s", got.Note, got.Status)
		}
		connectError(t, s.call(http.MethodPut, reqPath(p.request), v, map[string]any{"asset": map[string]any{"params": []any{
			map[string]any{"id": "param_tenant", "value": 5}}}}), 400, "REQ_001", "asset.params[0].value")
		connectError(t, s.call(http.MethodPut, reqPath(p.request), v, map[string]any{}), 400, "VAL_001", "nothing to change")
	})
	s.fill(t, p.request)
	r := s.act(t, p.request, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	want := "# Welcome\nYour administrator is **admin@contoso.example**. Asset " + p.asset + "."
	if r.Status != "approved" || r.Template == nil || r.Template.ID != s.lab.template.ID || r.ActivationKey != want || r.PreviousApprovedRequest != nil {
		t.Errorf("approved request = %+v", r)
	}
	a := s.asset(t, p.asset)
	if a.Status != "active" || a.ActivatedAt == nil || a.PendingRequest != nil || a.Template == nil {
		t.Errorf("asset after approval = %+v", a)
	}
	if v, _ := a.Param("param_admin_email"); v == nil || v.Value != "admin@contoso.example" {
		t.Errorf("asset params = %+v, want the fulfillment value", a.Params)
	}
}

// barrier holds every TransactWriteItems until n of them have arrived, so
// that concurrent transitions have all read before any writes: the race
// the revision condition must settle, made certain.
type barrier struct {
	n       int
	mu      sync.Mutex
	arrived int
	open    chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, open: make(chan struct{})} }

func (b *barrier) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("testBarrier",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if middleware.GetOperationName(ctx) == "TransactWriteItems" {
					b.wait()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
}

func (b *barrier) wait() {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-time.After(10 * time.Second): // never hang the suite
	}
}

// TestFulfillment_ConcurrentApprove approves one request from two clients
// that both read it before either writes: exactly one gets 200, the other
// 409, and the asset is written once.
func TestFulfillment_ConcurrentApprove(t *testing.T) {
	s := newFreshShop(t)
	p := s.order(t, 1)
	s.fill(t, p.request)
	b := newBarrier(2)
	racing := s.env.App(t, app.Options{DynamoOptions: []func(*dynamodb.Options){b.option}}).API()
	statuses := make([]int, 2)
	bodies := make([]string, 2)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodPost, reqPath(p.request, "approve"), strings.NewReader(`{"template_id":"`+s.lab.template.ID+`"}`))
			req.Header.Set("Authorization", "ApiKey "+s.vendor.Token.Value)
			rec := httptest.NewRecorder()
			racing.ServeHTTP(rec, req)
			statuses[i], bodies[i] = rec.Code, rec.Body.String()
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	if diff := cmp.Diff([]int{200, 409}, statuses); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s\n%v", diff, bodies)
	}
	a, err := s.app.FulfillmentStore.Asset(context.Background(), p.asset)
	if err != nil || a.Rev != 2 || a.Status != "active" {
		t.Errorf("asset rev %d status %s (%v): want written exactly once", a.Rev, a.Status, err)
	}
	_, reqs, _ := s.app.FulfillmentStore.AssetWithRequests(context.Background(), p.asset)
	if len(reqs) != 1 || reqs[0].Rev != 3 { // created, filled, approved
		t.Errorf("request revisions: %+v", reqs)
	}
}

// TestFulfillment_CallCounts holds each transition to one transaction and
// a fixed number of reads, whatever the asset's history (the README's
// table), each on a new instance (a cold start: the token and the version
// are read; TestFulfillment_WarmCallCounts counts a warm one).
func TestFulfillment_CallCounts(t *testing.T) {
	s := newFreshShop(t)
	p, q := s.order(t, 1), s.order(t, 1)
	fill := map[string]any{"asset": map[string]any{"params": []any{map[string]any{"id": "param_admin_email", "value": "a@b.co"}}}}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		want   map[string]int
	}{
		// auth and the version snapshot; the request with its asset; the write.
		{"PUT", http.MethodPut, reqPath(p.request), fill, map[string]int{"GetItem": 2, "TransactGetItems": 1, "TransactWriteItems": 1}},
		{"approve", http.MethodPost, reqPath(p.request, "approve"), map[string]any{"template_id": s.lab.template.ID},
			map[string]int{"GetItem": 2, "TransactGetItems": 1, "TransactWriteItems": 1}},
		{"fail", http.MethodPost, reqPath(q.request, "fail"), map[string]any{"reason": "no"}, map[string]int{"GetItem": 1, "TransactGetItems": 1, "TransactWriteItems": 1}},
		// the shards of each status list, then the page's rows (none pending
		// here: both requests were settled above).
		{"queue by status", http.MethodGet, "/public/v1/requests?status=pending", nil, map[string]int{"GetItem": 1, "Query": layout.Shards}},
		{"queue by two statuses", http.MethodGet, "/public/v1/requests?in(status,(approved,failed))", nil, map[string]int{"GetItem": 1, "Query": 2 * layout.Shards, "BatchGetItem": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.instance(t, nil)
			if res := c.call(tt.method, tt.path, s.vendor.Token.Value, tt.body); res.status != http.StatusOK {
				t.Fatalf("%d %s", res.status, res.body)
			}
			if diff := cmp.Diff(tt.want, c.counter.Calls()); diff != "" {
				t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("approve a change with history", func(t *testing.T) {
		// Two approved changes after the purchase: the third request's
		// approval costs what the purchase's did.
		approve := map[string]any{"template_id": s.lab.template.ID}
		for qty := 2; qty <= 3; qty++ {
			s.act(t, s.patch(t, p.asset, map[string]any{"quantity": qty}), "approve", approve, http.StatusOK)
		}
		id := s.patch(t, p.asset, map[string]any{"quantity": 4})
		c := s.on(s.instance(t, nil))
		r := c.act(t, id, "approve", approve, http.StatusOK)
		want := map[string]int{"GetItem": 2, "TransactGetItems": 1, "TransactWriteItems": 1}
		if diff := cmp.Diff(want, c.counter.Calls()); diff != "" {
			t.Errorf("DynamoDB calls of approving request %s (-want +got):\n%s", r.ID, diff)
		}
		if !strings.HasSuffix(r.ID, "-004") || r.Type != "change" || r.PreviousApprovedRequest == nil || !strings.HasSuffix(r.PreviousApprovedRequest.ID, "-003") {
			t.Errorf("approved %s (%s), previous %+v; want the 4th request after the 3rd", r.ID, r.Type, r.PreviousApprovedRequest)
		}
	})
}

// TestFulfillment_InquiryAnswered is the inquiry round trip: the vendor
// says what is wrong and inquires, the provider answers through PUT with
// an ordering parameter, and the request is pending again.
func TestFulfillment_InquiryAnswered(t *testing.T) {
	s := newFreshShop(t)
	p := s.order(t, 1)
	v, pr := s.vendor.Token.Value, s.provider.Token.Value
	connectError(t, s.call(http.MethodPost, reqPath(p.request, "inquire"), v, nil), 400, "VAL_001", "value_error on at least one parameter")
	s.do(http.MethodPut, reqPath(p.request), v, map[string]any{"note": "see param", "asset": map[string]any{"params": []any{
		map[string]any{"id": "param_tenant", "value_error": "tenant contoso is taken"}}}}, http.StatusOK, nil)
	connectError(t, s.call(http.MethodPost, reqPath(p.request, "inquire"), v, map[string]any{"template_id": s.lab.template.ID}), 400, "VAL_001", "inquire template")
	r := s.act(t, p.request, "inquire", nil, http.StatusOK)
	if r.Status != "inquiring" {
		t.Fatalf("status %s", r.Status)
	}
	connectError(t, s.call(http.MethodPut, reqPath(p.request), pr, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_admin_email", "value": "a@b.co"}}}}), 400, "VAL_001", "fulfillment parameter, which the vendor sets")
	connectError(t, s.call(http.MethodPut, reqPath(p.request), pr, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_tenant", "value": "Not A Label"}}}}), 400, "VAL_001", "subdomain")
	s.do(http.MethodPut, reqPath(p.request), pr, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_tenant", "value": "contoso2"}}}}, http.StatusOK, &r)
	tenant, _ := r.Asset.Param("param_tenant")
	if r.Status != "pending" || tenant.Value != "contoso2" || tenant.ValueError != "" || r.Note != "see param" {
		t.Errorf("answered request: status %s tenant %+v note %q", r.Status, tenant, r.Note)
	}
	// The vendor may inquire again, and pend without an answer.
	s.do(http.MethodPut, reqPath(p.request), v, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_tenant", "value_error": "still taken"}}}}, http.StatusOK, nil)
	s.act(t, p.request, "inquire", nil, http.StatusOK)
	if r = s.act(t, p.request, "pend", nil, http.StatusOK); r.Status != "pending" {
		t.Errorf("pend: status %s", r.Status)
	}
	a := s.act(t, p.request, "assign", nil, http.StatusOK)
	if a.Assignee == nil || a.Assignee.ID != s.vendor.ID {
		t.Errorf("assign without a body = %+v, want the caller", a.Assignee)
	}
	if a = s.act(t, p.request, "unassign", nil, http.StatusOK); a.Assignee != nil {
		t.Errorf("unassign left %+v", a.Assignee)
	}
	r = s.approve(t, p.request)
	if r.Status != "approved" {
		t.Errorf("approve after the inquiry: %s", r.Status)
	}
}

// subscription reads the Partner Center view of an asset.
func (s *shop) subscription(t *testing.T, id string) map[string]any {
	t.Helper()
	var sub map[string]any
	s.do(http.MethodGet, "/v1/customers/"+s.customer+"/subscriptions/"+id, s.provider.Token.Value, nil, http.StatusOK, &sub)
	return sub
}

// patch changes a subscription and returns the request it opened.
func (s *shop) patch(t *testing.T, id string, body map[string]any) string {
	t.Helper()
	var sub struct {
		PendingChange struct {
			RequestID string `json:"requestId"`
		} `json:"pendingChange"`
	}
	s.do(http.MethodPatch, "/v1/customers/"+s.customer+"/subscriptions/"+id, s.provider.Token.Value, body, http.StatusOK, &sub)
	if sub.PendingChange.RequestID == "" {
		t.Fatalf("PATCH %v opened no request", body)
	}
	return sub.PendingChange.RequestID
}

// TestFulfillment_SubscriptionChanges takes a subscription through change,
// suspend, resume and cancel by Partner Center PATCH, each approved (or
// failed) by the vendor, and checks the asset after each.
func TestFulfillment_SubscriptionChanges(t *testing.T) {
	s := newFreshShop(t)
	p := s.order(t, 2)
	s.approve(t, p.request)
	steps := []struct {
		name       string
		patch      map[string]any
		fail       bool
		wantType   string
		wantAsset  string
		wantPC     string
		wantQty    float64
		wantPrevID string
	}{
		{"change quantity", map[string]any{"quantity": 5}, false, "change", "active", "active", 5, p.request},
		{"suspend refused", map[string]any{"status": "suspended"}, true, "suspend", "active", "active", 5, ""},
		{"suspend", map[string]any{"status": "suspended"}, false, "suspend", "suspended", "suspended", 5, ""},
		{"resume", map[string]any{"status": "active"}, false, "resume", "active", "active", 5, ""},
		{"cancel", map[string]any{"status": "deleted"}, false, "cancel", "terminated", "deleted", 5, ""},
	}
	last := p.request
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			id := s.patch(t, p.asset, st.patch)
			var r fulfillment.Request
			if st.fail {
				r = s.act(t, id, "fail", map[string]any{"reason": "not now"}, http.StatusOK)
			} else {
				r = s.act(t, id, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
			}
			if r.Type != st.wantType || r.PreviousApprovedRequest == nil || r.PreviousApprovedRequest.ID != last {
				t.Errorf("request %s: type %s previous %+v, want %s after %s", id, r.Type, r.PreviousApprovedRequest, st.wantType, last)
			}
			if !st.fail {
				last = id
			}
			a := s.asset(t, p.asset)
			sub := s.subscription(t, p.asset)
			if a.Status != st.wantAsset || sub["status"] != st.wantPC || sub["quantity"] != st.wantQty || a.PendingRequest != nil || sub["pendingChange"] != nil {
				t.Errorf("asset %s, subscription %v %v, pending %v; want %s/%s/%v", a.Status, sub["status"], sub["quantity"], a.PendingRequest, st.wantAsset, st.wantPC, st.wantQty)
			}
		})
	}
	// The asset's history, oldest first, through its own endpoint.
	var hist []fulfillment.Request
	s.do(http.MethodGet, "/public/v1/assets/"+p.asset+"/requests?ordering(-created)", s.provider.Token.Value, nil, http.StatusOK, &hist)
	if len(hist) != 6 || hist[len(hist)-1].ID != p.request {
		t.Errorf("asset requests = %v", ids(hist))
	}
}

func TestFulfillment_Render(t *testing.T) {
	s := newFreshShop(t)
	p := s.order(t, 1)
	v, pr := s.vendor.Token.Value, s.provider.Token.Value
	connectError(t, s.call(http.MethodGet, reqPath(p.request, "render"), v, nil), 400, "REQ_003", "pending")
	connectError(t, s.call(http.MethodGet, "/public/v1/assets/"+p.asset+"/render", pr, nil), 400, "REQ_003", "processing")
	// A value that tries to smuggle markup in is rendered inert.
	s.do(http.MethodPut, reqPath(p.request), v, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_admin_email", "value": `<script>alert(1)</script>`}}}}, http.StatusOK, nil)
	s.act(t, p.request, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	md := "# Welcome\nYour administrator is **<script>alert(1)</script>**. Asset " + p.asset + "."
	for _, path := range []string{reqPath(p.request, "render"), "/public/v1/assets/" + p.asset + "/render"} {
		t.Run(path, func(t *testing.T) {
			res := s.call(http.MethodGet, path, pr, nil)
			if res.status != 200 || res.header.Get("Content-Type") != "text/markdown; charset=utf-8" || string(res.body) != md {
				t.Errorf("markdown: %d %s %q", res.status, res.header.Get("Content-Type"), res.body)
			}
			res = s.call(http.MethodGet, path, v, nil, "Accept", "text/html,application/xhtml+xml;q=0.9")
			body := string(res.body)
			if res.status != 200 || res.header.Get("Content-Type") != "text/html; charset=utf-8" ||
				!strings.Contains(body, "<h1>Welcome</h1>") || strings.Contains(body, "<script") {
				t.Errorf("html: %d %s %q", res.status, res.header.Get("Content-Type"), body)
			}
		})
	}
	// Partner Center's activation link of the fulfilled line works.
	var links pcCollection
	s.do(http.MethodGet, s.ordersPath()+"/"+p.order+"/activationlinks", pr, nil, http.StatusOK, &links)
	var link struct {
		Link pcLink `json:"link"`
	}
	if links.TotalCount != 1 || json.Unmarshal(links.Items[0], &link) != nil || link.Link.URI != "/public/v1/assets/"+p.asset+"/render" {
		t.Fatalf("activation links = %+v", links)
	}
	if res := s.call(http.MethodGet, link.Link.URI, pr, nil); res.status != 200 || string(res.body) != md {
		t.Errorf("activation link: %d %s", res.status, res.body)
	}
	other := s.createAccount(account.Provider, "Other Hub")
	connectError(t, s.call(http.MethodGet, link.Link.URI, other.Token.Value, nil), 404, "OBJ_001")
}

func TestFulfillment_Assets(t *testing.T) {
	s := newFreshShop(t)
	p1, p2 := s.order(t, 1), s.order(t, 2)
	s.approve(t, p1.request)
	for _, tok := range []string{s.vendor.Token.Value, s.provider.Token.Value} {
		var all, active []fulfillment.Asset
		s.do(http.MethodGet, "/public/v1/assets", tok, nil, http.StatusOK, &all)
		s.do(http.MethodGet, "/public/v1/assets?status=active&product.id="+s.lab.product.ID, tok, nil, http.StatusOK, &active)
		if len(all) != 2 || all[1].ID != p2.asset || len(active) != 1 || active[0].ID != p1.asset {
			t.Errorf("assets %d, active %v", len(all), active)
		}
	}
	connectError(t, s.call(http.MethodGet, "/public/v1/assets/AS-0000-0000-0000", s.vendor.Token.Value, nil), 404, "OBJ_001")
	other := s.createAccount(account.Vendor, "Other Vendor")
	connectError(t, s.call(http.MethodGet, "/public/v1/assets/"+p1.asset+"/requests", other.Token.Value, nil), 404, "OBJ_001")
}

// deliver hands the fulfillment worker one event, as the queue would.
func deliver(t *testing.T, a *app.App, e event.Event) {
	t.Helper()
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := a.Handlers(app.FulfillmentFunction)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hs.SQS["FulfillmentFunction"](context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-" + e.ID, Body: string(body)}}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("worker failed %s: %v %v", e.Type, err, resp.BatchItemFailures)
	}
}

// requestEvent is the event the outbox would have sent account about r.
func (s *shop) requestEvent(t *testing.T, typ event.Type, id, account string) event.Event {
	t.Helper()
	r, err := s.app.FulfillmentStore.Request(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	e, err := event.New(typ, account, r.Request, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestFulfillment_AutoApprove: a product with auto_approve is approved by
// the worker once its required fulfillment parameter has a value, and the
// worker then completes the order; redelivered events change nothing.
func TestFulfillment_AutoApprove(t *testing.T) {
	s := newFreshShop(t)
	v := s.vendor.Token.Value
	base := "/public/v1/products/" + s.lab.product.ID
	s.do(http.MethodPut, base, v, map[string]any{"capabilities": map[string]any{"suspend_resume_supported": true,
		"auto_approve": map[string]any{"enabled": true, "template_id": s.lab.template.ID}}}, http.StatusOK, nil)
	s.do(http.MethodPost, base+"/publish", v, nil, http.StatusCreated, nil)
	p := s.order(t, 1)

	created := s.requestEvent(t, event.RequestCreated, p.request, s.vendor.ID)
	deliver(t, s.app, created)
	if r, _ := s.app.FulfillmentStore.Request(context.Background(), p.request); r.Status != "pending" {
		t.Fatalf("approved without its required fulfillment parameter: %s", r.Status)
	}
	// Why it waits is logged at warn, so that a product whose auto-approval
	// can never pass (a misconfigured template) shows in the logs.
	var logs bytes.Buffer
	done, err := s.app.Fulfillment().AutoApprove(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)), p.request, "approve#probe")
	if done || err != nil {
		t.Fatalf("auto-approve without the parameter: %v %v", done, err)
	}
	if line := logs.String(); !strings.Contains(line, "level=WARN") || !strings.Contains(line, "request_id="+p.request) ||
		!strings.Contains(line, "param_admin_email") || !strings.Contains(line, "template_id="+s.lab.template.ID) {
		t.Errorf("auto-approve log = %q, want a warning naming the request, the template and the missing parameter", line)
	}
	s.fill(t, p.request)
	updated := s.requestEvent(t, event.RequestUpdated, p.request, s.vendor.ID)
	deliver(t, s.app, updated)
	deliver(t, s.app, updated) // a redelivery
	var r fulfillment.Request
	s.do(http.MethodGet, reqPath(p.request), v, nil, http.StatusOK, &r)
	if r.Status != "approved" || r.Template == nil || r.Template.ID != s.lab.template.ID || !strings.Contains(r.ActivationKey, "admin@contoso.example") {
		t.Fatalf("auto-approved request = %+v", r)
	}
	if a := s.asset(t, p.asset); a.Status != "active" {
		t.Errorf("asset %s", a.Status)
	}
	// The provider's copy of the approval rolls the order up, once.
	approved := s.requestEvent(t, event.RequestUpdated, p.request, s.provider.ID)
	deliver(t, s.app, approved)
	before, _ := s.app.FulfillmentStore.Request(context.Background(), p.request)
	deliver(t, s.app, approved)
	var o struct {
		Status string `json:"status"`
	}
	s.do(http.MethodGet, s.ordersPath()+"/"+p.order, s.provider.Token.Value, nil, http.StatusOK, &o)
	if o.Status != "completed" {
		t.Errorf("order status %s, want completed", o.Status)
	}
	if after, _ := s.app.FulfillmentStore.Request(context.Background(), p.request); after.Rev != before.Rev {
		t.Errorf("a redelivered event changed the request (rev %d → %d)", before.Rev, after.Rev)
	}
	// Suspensions of an auto-approve product need no vendor either.
	id := s.patch(t, p.asset, map[string]any{"status": "suspended"})
	deliver(t, s.app, s.requestEvent(t, event.RequestCreated, id, s.vendor.ID))
	if a := s.asset(t, p.asset); a.Status != "suspended" {
		t.Errorf("auto-approved suspend left the asset %s", a.Status)
	}
}

// TestFulfillment_Renewal runs the daily renewal at chosen times: before
// the notice period it does nothing; within it it opens a renew request
// for the subscription that renews automatically and leaves the other
// active; after the end it expires the other. Each check reads the report
// of the run that acted; a second run right after does nothing twice.
func TestFulfillment_Renewal(t *testing.T) {
	s := newFreshShop(t)
	renewing, expiring := s.order(t, 1), s.order(t, 1)
	s.approve(t, renewing.request)
	s.approve(t, expiring.request)
	s.do(http.MethodPatch, "/v1/customers/"+s.customer+"/subscriptions/"+expiring.asset, s.provider.Token.Value,
		map[string]any{"autoRenewEnabled": false}, http.StatusOK, nil)
	end, err := time.Parse(time.RFC3339Nano, s.subscription(t, renewing.asset)["commitmentEndDate"].(string))
	if err != nil {
		t.Fatal(err)
	}
	// run is the scheduled run at a time, and its report; the same run
	// again right after must do nothing.
	run := func(at time.Time) fulfillment.RenewalReport {
		t.Helper()
		clocked := s.env.App(t, app.Options{Now: func() time.Time { return at }})
		rep, err := clocked.Fulfillment().Renew(context.Background(), clocked.Log)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := clocked.Handlers(app.FulfillmentFunction)
		if err != nil {
			t.Fatal(err)
		}
		if err := hs.Schedule["FulfillmentFunction"](context.Background(), events.EventBridgeEvent{ID: "run", Time: at}); err != nil {
			t.Fatal(err)
		}
		again, err := clocked.Fulfillment().Renew(context.Background(), clocked.Log)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Requested)+len(again.Expired) != 0 {
			t.Errorf("a second run at %s acted again: %+v", at, again)
		}
		return rep
	}
	requests := func(asset string) []fulfillment.StoredRequest {
		t.Helper()
		_, reqs, err := s.app.FulfillmentStore.AssetWithRequests(context.Background(), asset)
		if err != nil {
			t.Fatal(err)
		}
		return reqs
	}
	// Ten days before, and a minute before the notice period (which the
	// index's look-ahead already reaches): too early either way.
	for _, early := range []time.Time{end.AddDate(0, 0, -10), end.AddDate(0, 0, -fulfillment.RenewalNoticeDays).Add(-time.Minute)} {
		if rep := run(early); len(rep.Requested)+len(rep.Expired) != 0 {
			t.Errorf("%s before the end the run acted: %+v", end.Sub(early), rep)
		}
		if reqs := requests(renewing.asset); len(reqs) != 1 {
			t.Fatalf("%s before the end the renewing subscription has %d requests, want only its purchase", end.Sub(early), len(reqs))
		}
	}
	if rep := run(end.AddDate(0, 0, -3)); !slices.Equal(rep.Requested, []string{renewing.asset}) || len(rep.Expired) != 0 {
		t.Errorf("3 days before the end: %+v, want a renewal of %s only", rep, renewing.asset)
	}
	reqs := requests(renewing.asset)
	if len(reqs) != 2 || reqs[1].Type != "renew" || reqs[1].Status != "pending" || reqs[1].PreviousApprovedRequest.ID != renewing.request {
		t.Fatalf("requests of the renewing subscription: %+v", reqs)
	}
	if others := requests(expiring.asset); len(others) != 1 {
		t.Errorf("the subscription that does not renew got %d requests", len(others))
	}
	if a := s.asset(t, expiring.asset); a.Status != "active" {
		t.Errorf("the subscription that does not renew is %s before its end, want active", a.Status)
	}
	s.act(t, reqs[1].ID, "approve", map[string]any{"template_id": s.lab.template.ID}, http.StatusOK)
	if rep := run(end.Add(25 * time.Hour)); !slices.Equal(rep.Expired, []string{expiring.asset}) || len(rep.Requested) != 0 {
		t.Errorf("after the end: %+v, want %s expired only", rep, expiring.asset)
	}
	renewed, gone := s.subscription(t, renewing.asset), s.subscription(t, expiring.asset)
	wantEnd := end.AddDate(0, 1, 0).Format(time.RFC3339Nano)
	if renewed["status"] != "active" || renewed["commitmentEndDate"] != wantEnd || gone["status"] != "deleted" {
		t.Errorf("after the end: renewed %v until %v (want %s), other %v", renewed["status"], renewed["commitmentEndDate"], wantEnd, gone["status"])
	}
	if reqs := requests(renewing.asset); len(reqs) != 2 {
		t.Errorf("the renewed subscription has %d requests, want no new one", len(reqs))
	}
	if a := s.asset(t, expiring.asset); a.ActivatedAt == nil {
		t.Error("an expired subscription lost its activation date")
	}
}

// TestFulfillment_FailedPurchase: a failed purchase terminates the asset
// that never started, its line is Unfulfilled, and the worker closes the
// order whose every line failed.
func TestFulfillment_FailedPurchase(t *testing.T) {
	s := newFreshShop(t)
	p := s.order(t, 1)
	r := s.act(t, p.request, "fail", map[string]any{"reason": "  tenant cannot be created "}, http.StatusOK)
	if r.Reason != "tenant cannot be created" || r.Asset.Status != "terminated" {
		t.Errorf("failed request = reason %q asset %s", r.Reason, r.Asset.Status)
	}
	if a := s.asset(t, p.asset); a.Status != "terminated" || a.ActivatedAt != nil || a.PendingRequest != nil {
		t.Errorf("asset = %+v", a)
	}
	var prov pcCollection
	s.do(http.MethodGet, s.ordersPath()+"/"+p.order+"/provisioningstatus", s.provider.Token.Value, nil, http.StatusOK, &prov)
	if prov.TotalCount != 1 || !strings.Contains(string(prov.Items[0]), `"status":"Unfulfilled"`) {
		t.Errorf("provisioning = %s", prov.Items)
	}
	deliver(t, s.app, s.requestEvent(t, event.RequestUpdated, p.request, s.provider.ID))
	var o struct {
		Status string `json:"status"`
	}
	s.do(http.MethodGet, s.ordersPath()+"/"+p.order, s.provider.Token.Value, nil, http.StatusOK, &o)
	if o.Status != "cancelled" {
		t.Errorf("order status %s, want cancelled", o.Status)
	}
	connectError(t, s.call(http.MethodPost, reqPath(p.request, "fail"), s.vendor.Token.Value, map[string]any{}), 400, "REQ_003", "failed")
	q := s.order(t, 1)
	connectError(t, s.call(http.MethodPost, reqPath(q.request, "fail"), s.vendor.Token.Value, map[string]any{"reason": " "}), 400, "VAL_001", "reason is required")
}
