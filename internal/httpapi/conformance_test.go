package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/httpapi"
	"github.com/mercato-dev/mercato/internal/usage"
)

// connectSpecPath is where every checkout finds Connect's published
// OpenAPI description, beside the module root. It is not copied into the
// project: it is Connect's document, and the test measures Mercato against
// the version the team shares.
const connectSpecPath = "../shared/reference/connect-openapi-v37.yml"

// connectBase is the server of Connect's specification; requests are
// routed against it with Mercato's path after /public/v1.
const connectBase = "https://api.connect.cloudblue.com"

// connectSpec is Connect's specification, loaded once per test binary (it
// is 2.3 MB).
type connectSpec struct {
	doc    *openapi3.T
	router routers.Router
}

var loadConnectOnce = sync.OnceValues(loadConnect)

func loadConnect() (*connectSpec, error) {
	root, err := stacktest.Root()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(root, connectSpecPath))
	if err != nil {
		return nil, err
	}
	data, err := normaliseConnectSpec(raw)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", connectSpecPath, err)
	}
	patchConnectErrata(doc)
	// Rendered templates are Markdown, which the library reads as text.
	openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", connectSpecPath, err)
	}
	return &connectSpec{doc: doc, router: router}, nil
}

// headerRefSchema is the one construct of Connect's published document
// that is not valid OpenAPI 3.0: eight Content-Range header parameters
// whose schema is a $ref to a header object rather than to a schema.
var headerRefSchema = regexp.MustCompile(`(\n[ ]+schema:\n[ ]+)\$ref: '#/components/headers/[^']+'`)

// normaliseConnectSpec gives those parameters the header's own schema, a
// string. Nothing else is changed.
func normaliseConnectSpec(raw []byte) ([]byte, error) {
	out := headerRefSchema.ReplaceAll(raw, []byte("${1}type: string"))
	if bytes.Equal(out, raw) {
		return nil, fmt.Errorf("%s: expected header $refs used as schemas; has the document changed?", connectSpecPath)
	}
	return out, nil
}

// patchConnectErrata corrects, in memory, the published schemas that
// contradict Connect's own service and SDKs, each recorded in the README's
// table of differences:
//   - dp.Subscription.params is an array of arrays of parameters; the
//     service answers (and both SDKs read) an array of parameters, as every
//     other asset schema of the document has it.
func patchConnectErrata(doc *openapi3.T) {
	if s := doc.Components.Schemas["dp.Subscription"]; s != nil && s.Value != nil {
		if p := s.Value.Properties["params"]; p != nil && p.Value != nil && p.Value.Items != nil &&
			p.Value.Items.Value != nil && p.Value.Items.Value.Type.Is("array") {
			s.Value.Properties["params"] = openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: p.Value.Items.Value.Items})
		}
	}
}

// requireConnectSpec loads the specification, or skips the test when it is
// absent (a checkout without the shared reference), except under CI=true
// where a missing specification fails.
func requireConnectSpec(t *testing.T) *connectSpec {
	t.Helper()
	spec, err := loadConnectOnce()
	if err == nil {
		return spec
	}
	if os.IsNotExist(err) && os.Getenv("CI") != "true" {
		t.Skipf("Connect's specification is not at %s (beside the module root); the conformance test needs it: %v", connectSpecPath, err)
	}
	t.Fatalf("Connect's specification: %v", err)
	return nil
}

// opResult is what the conformance run saw of one shared operation.
type opResult struct {
	calls    int
	problems []string
}

// conformance sends requests through Mercato's handler and validates each
// request and response against Connect's specification.
type conformance struct {
	t       *testing.T
	spec    *connectSpec
	api     http.Handler
	mercato []string // Mercato's /public/v1 route patterns, "GET /public/v1/x/{id}"
	results map[string]*opResult
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// sharedOperations are the routes of Mercato's /public/v1 whose method and
// path (parameter names aside) Connect's specification also has.
func (c *conformance) sharedOperations() []string {
	inSpec := map[string]bool{}
	for path, item := range c.spec.doc.Paths.Map() {
		for method := range item.Operations() {
			inSpec[method+" "+pathParam.ReplaceAllString(path, "{}")] = true
		}
	}
	var shared []string
	for _, r := range c.mercato {
		method, path, _ := strings.Cut(r, " ")
		if inSpec[method+" "+pathParam.ReplaceAllString(strings.TrimPrefix(path, "/public/v1"), "{}")] {
			shared = append(shared, r)
		}
	}
	sort.Strings(shared)
	return shared
}

// route names the Mercato route pattern that serves method and path.
func (c *conformance) route(method, path string) string {
	segs := strings.Split(path, "/")
	best, bestLiterals := "", -1
	for _, r := range c.mercato {
		m, p, _ := strings.Cut(r, " ")
		ps := strings.Split(p, "/")
		if m != method || len(ps) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i, s := range ps {
			switch {
			case strings.HasPrefix(s, "{"):
			case s == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = r, literals
		}
	}
	return best
}

// exchange sends one request with a JSON body (nil for none) as token's
// account, checks the status, validates both directions against Connect's
// operation, and returns the response body.
func (c *conformance) exchange(method, path, token string, body any, want int) []byte {
	c.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			c.t.Fatal(err)
		}
	}
	return c.send(method, path, token, "application/json", raw, want)
}

func (c *conformance) send(method, path, token, ctype string, raw []byte, want int) []byte {
	c.t.Helper()
	key := c.route(method, strings.SplitN(path, "?", 2)[0])
	if key == "" {
		c.t.Fatalf("%s %s: no Mercato route", method, path)
	}
	res := c.results[key]
	if res == nil {
		res = &opResult{}
		c.results[key] = res
	}
	res.calls++
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf("%s %s: ", method, path) + fmt.Sprintf(format, args...)
		res.problems = append(res.problems, msg)
	}

	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "ApiKey "+token)
	if raw != nil {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	c.api.ServeHTTP(rec, req)
	if rec.Code != want {
		fail("status %d, want %d: %s", rec.Code, want, truncate(rec.Body.String()))
		return rec.Body.Bytes()
	}

	specReq := httptest.NewRequest(method, connectBase+path, bytes.NewReader(raw))
	if raw != nil {
		specReq.Header.Set("Content-Type", ctype)
	}
	specReq.Header.Set("Authorization", "ApiKey "+token)
	route, params, err := c.spec.router.FindRoute(specReq)
	if err != nil {
		fail("Connect's specification has no such operation: %v", err)
		return rec.Body.Bytes()
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// Connect clients send back what they read; Connect ignores
		// read-only properties on writes, and so does Mercato.
		ExcludeReadOnlyValidations: true,
		// Connect's specification answers some writes with the write's
		// schema, whose ids are write-only; its own server answers them.
		ExcludeWriteOnlyValidations: true,
		MultiError:                  true,
		// A deviation reads best as the path and the rule, without the
		// whole schema and value.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
	in := &openapi3filter.RequestValidationInput{Request: specReq, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		fail("request is not Connect's: %v", err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		fail("response is not Connect's: %v", err)
	}
	return rec.Body.Bytes()
}

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// check reports every shared operation that does not conform, and the
// figure. It runs deferred, so that a journey that stops early still says
// how far it came.
func (c *conformance) check() {
	_, deviations := c.report()
	var names []string
	for op := range deviations {
		names = append(names, op)
	}
	sort.Strings(names)
	for _, op := range names {
		c.t.Errorf("%s does not conform:\n  %s", op, strings.Join(deviations[op], "\n  "))
	}
}

// report prints the figure and returns the shared operations that did not
// conform, with why, and those never exercised.
func (c *conformance) report() (conforming int, deviations map[string][]string) {
	shared := c.sharedOperations()
	deviations = map[string][]string{}
	for _, op := range shared {
		res := c.results[op]
		switch {
		case res == nil:
			deviations[op] = []string{"not exercised by the conformance run"}
		case len(res.problems) > 0:
			deviations[op] = res.problems
		default:
			conforming++
		}
	}
	c.t.Logf("%d of %d shared operations conform", conforming, len(shared))
	fmt.Printf("%d of %d shared operations conform\n", conforming, len(shared))
	return conforming, deviations
}

func newConformance(t *testing.T, api http.Handler) *conformance {
	t.Helper()
	spec := requireConnectSpec(t)
	mine, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPISpec())
	if err != nil {
		t.Fatal(err)
	}
	c := &conformance{t: t, spec: spec, api: api, results: map[string]*opResult{}}
	for path, item := range mine.Paths.Map() {
		if !strings.HasPrefix(path, "/public/v1/") {
			continue
		}
		for method := range item.Operations() {
			c.mercato = append(c.mercato, method+" "+path)
		}
	}
	return c
}

// obj decodes a JSON object answer.
func obj(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object (%v): %s", err, truncate(string(raw)))
	}
	return m
}

func list(t *testing.T, raw []byte) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(raw, &l); err != nil {
		t.Fatalf("not a JSON array (%v): %s", err, truncate(string(raw)))
	}
	return l
}

func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		mm, _ := v.(map[string]any)
		v = mm[p]
	}
	s, _ := v.(string)
	return s
}

// TestConformance_Connect drives every operation Mercato shares with
// Connect, with Connect-shaped bodies, on a stack on the emulator, and
// validates every request and answer against Connect's specification.
func TestConformance_Connect(t *testing.T) {
	f, _ := newFreshFixture(t)
	c := newConformance(t, f.api)
	defer c.check()
	admin, v, p := f.admin.Token.Value, f.vendor.Token.Value, f.provider.Token.Value

	// Accounts and tokens.
	c.exchange(http.MethodGet, "/public/v1/auth/context", v, nil, http.StatusOK)
	c.exchange(http.MethodGet, "/public/v1/accounts", v, nil, http.StatusOK)
	c.exchange(http.MethodGet, "/public/v1/accounts/"+f.vendor.ID, v, nil, http.StatusOK)
	c.exchange(http.MethodPost, "/public/v1/accounts", admin, map[string]any{"name": "Second Vendor", "type": "vendor"}, http.StatusCreated)
	tok := obj(t, c.exchange(http.MethodPost, "/public/v1/auth/tokens", v,
		map[string]any{"name": "ci", "extension": map[string]any{"id": "EXT-1"}}, http.StatusCreated))
	c.exchange(http.MethodGet, "/public/v1/auth/tokens", v, nil, http.StatusOK)
	tok = obj(t, c.exchange(http.MethodGet, "/public/v1/auth/tokens/"+str(tok, "id"), v, nil, http.StatusOK))
	tok["description"], tok["external_id"] = "continuous integration", "CI-1"
	c.exchange(http.MethodPut, "/public/v1/auth/tokens/"+str(tok, "id"), v, tok, http.StatusOK)
	c.exchange(http.MethodDelete, "/public/v1/auth/tokens/"+str(tok, "id"), v, nil, http.StatusNoContent)

	// Marketplace.
	mp := obj(t, c.exchange(http.MethodPost, "/public/v1/marketplaces", p, map[string]any{"name": "Apollo US", "currency": "USD",
		"countries": []any{map[string]any{"id": "US"}, map[string]any{"id": "CA"}}}, http.StatusCreated))
	c.exchange(http.MethodGet, "/public/v1/marketplaces", p, nil, http.StatusOK)
	c.exchange(http.MethodGet, "/public/v1/marketplaces/"+str(mp, "id"), p, nil, http.StatusOK)

	// The catalog, as the Connect lab builds it.
	prd := obj(t, c.exchange(http.MethodPost, "/public/v1/products", v, map[string]any{"name": "Connect Web Conference Software"}, http.StatusCreated))
	base := "/public/v1/products/" + str(prd, "id")
	c.exchange(http.MethodGet, "/public/v1/products", v, nil, http.StatusOK)
	// Mercato's switches in today's shape; then Connect's capabilities
	// (read-only) and configurations come back with the read body.
	c.exchange(http.MethodPut, base, v, map[string]any{"capabilities": map[string]any{"suspend_resume_supported": true}}, http.StatusOK)
	prd = obj(t, c.exchange(http.MethodGet, base, v, nil, http.StatusOK))
	caps, _ := prd["capabilities"].(map[string]any)
	for _, part := range []string{"ppu", "reservation", "cart", "inquiring", "tiers", "subscription"} {
		if _, ok := caps[part]; !ok {
			t.Errorf("capabilities.%s missing: %v", part, caps)
		}
	}
	if sub, _ := caps["subscription"].(map[string]any); sub["suspend"] == nil || sub["resume"] == nil {
		t.Errorf("capabilities.subscription = %v, want suspend and resume of a product that supports them", sub)
	}
	if conf, _ := prd["configurations"].(map[string]any); conf["suspend_resume_supported"] != true {
		t.Errorf("configurations = %v, want suspend_resume_supported", conf)
	}
	prd["short_description"] = "Video meetings for teams"
	c.exchange(http.MethodPut, base, v, prd, http.StatusOK)

	items := list(t, c.exchange(http.MethodGet, base+"/items", v, nil, http.StatusOK))
	c.exchange(http.MethodDelete, base+"/items/"+str(items[0], "id"), v, nil, http.StatusNoContent)
	item := obj(t, c.exchange(http.MethodPost, base+"/items", v, map[string]any{"name": "SKU Users", "mpn": "MPN-246-USERS",
		"description": "Users of the conference service", "type": "Reservation", "period": "Monthly",
		"unit": map[string]any{"id": "users"}, "product_version": 1}, http.StatusCreated))
	item = obj(t, c.exchange(http.MethodGet, base+"/items/"+str(item, "id"), v, nil, http.StatusOK))
	item["description"] = "Named users"
	c.exchange(http.MethodPut, base+"/items/"+str(item, "id"), v, item, http.StatusOK)

	ppu := obj(t, c.exchange(http.MethodPost, base+"/items", v, map[string]any{"name": "Recording minutes", "mpn": "MPN-246-MIN",
		"description": "Minutes of recorded meetings", "type": "PPU", "precision": "Decimal(2)",
		"unit": map[string]any{"id": "minutes", "name": "Minutes", "title": "Minutes"}, "product_version": 1}, http.StatusCreated))

	params := list(t, c.exchange(http.MethodGet, base+"/parameters", v, nil, http.StatusOK))
	c.exchange(http.MethodDelete, base+"/parameters/"+str(params[0], "id"), v, nil, http.StatusNoContent)
	param := obj(t, c.exchange(http.MethodPost, base+"/parameters", v, map[string]any{"name": "param_admin_email",
		"title": "Administrator email", "description": "Who administers the account", "type": "email", "scope": "asset",
		"phase": "fulfillment", "constraints": map[string]any{"required": true}}, http.StatusCreated))
	param = obj(t, c.exchange(http.MethodGet, base+"/parameters/"+str(param, "id"), v, nil, http.StatusOK))
	param["title"] = "Admin email"
	c.exchange(http.MethodPut, base+"/parameters/"+str(param, "id"), v, param, http.StatusOK)
	c.exchange(http.MethodPost, base+"/parameters", v, map[string]any{"name": "param_tenant", "title": "Tenant name",
		"description": "The tenant's subdomain", "type": "subdomain", "scope": "asset", "phase": "ordering",
		"constraints": map[string]any{"required": true}}, http.StatusCreated)

	c.exchange(http.MethodGet, base+"/templates", v, nil, http.StatusOK)
	tpl := obj(t, c.exchange(http.MethodPost, base+"/templates", v, map[string]any{"name": "Activation", "title": "Activation",
		"body": "# Welcome\nYour administrator is **{{ param_admin_email }}**.", "scope": "asset", "type": "fulfillment"}, http.StatusCreated))
	inq := obj(t, c.exchange(http.MethodPost, base+"/templates", v, map[string]any{"name": "Need details", "title": "Need details",
		"body": "Please tell us the administrator email.", "scope": "asset", "type": "inquire"}, http.StatusCreated))
	tpl = obj(t, c.exchange(http.MethodGet, base+"/templates/"+str(tpl, "id"), v, nil, http.StatusOK))
	tpl["title"] = "Activation (v2)"
	c.exchange(http.MethodPut, base+"/templates/"+str(tpl, "id"), v, tpl, http.StatusOK)
	spare := obj(t, c.exchange(http.MethodPost, base+"/templates", v, map[string]any{"name": "Spare", "title": "Spare",
		"body": "spare", "scope": "asset", "type": "inquire"}, http.StatusCreated))
	c.exchange(http.MethodDelete, base+"/templates/"+str(spare, "id"), v, nil, http.StatusNoContent)

	c.exchange(http.MethodGet, base+"/templates/"+str(tpl, "id")+"/preview", v, nil, http.StatusOK)
	c.exchange(http.MethodGet, base+"/templates/"+str(tpl, "id")+"/render", v, nil, http.StatusOK)

	// Connect publishes with POST /versions.
	c.exchange(http.MethodPost, base+"/versions", v, nil, http.StatusCreated)
	c.exchange(http.MethodGet, base+"/versions", v, nil, http.StatusOK)
	c.exchange(http.MethodGet, base+"/versions/1", v, nil, http.StatusOK)
	c.exchange(http.MethodGet, base+"/versions/1/items", v, nil, http.StatusOK)
	c.exchange(http.MethodGet, base+"/versions/1/parameters", v, nil, http.StatusOK)
	c.exchange(http.MethodGet, base+"/versions/1/templates", v, nil, http.StatusOK)
	extra := obj(t, c.exchange(http.MethodPost, base+"/items", v, map[string]any{"name": "SKU Guests", "mpn": "MPN-246-GUESTS",
		"description": "Guests", "type": "Reservation", "period": "Monthly", "unit": map[string]any{"id": "guests"}, "product_version": 2}, http.StatusCreated))
	c.exchange(http.MethodPost, base+"/versions", v, map[string]any{}, http.StatusCreated)
	c.exchange(http.MethodPost, base+"/items/"+str(extra, "id")+"/endsale", v, map[string]any{"end_of_sale_notes": "replaced by seats"}, http.StatusOK)
	c.exchange(http.MethodPost, base+"/items/"+str(extra, "id")+"/resumesale", v, nil, http.StatusOK)
	// A draft, submitted, sent back, withdrawn.
	draft := obj(t, c.exchange(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"type": "new", "state": "draft",
		"product_id": str(prd, "id"), "marketplace": str(mp, "id"),
		"prices": []map[string]any{{"item": str(item, "id"), "price": "9"}, {"item": str(ppu, "id"), "price": "0.05"},
			{"item": str(extra, "id"), "price": "2"}}}, http.StatusCreated))
	c.exchange(http.MethodPost, "/public/v1/listing-requests/"+str(draft, "id")+"/submit", v, nil, http.StatusOK)
	c.exchange(http.MethodPost, "/public/v1/listing-requests/"+str(draft, "id")+"/refine", p, nil, http.StatusOK)
	c.exchange(http.MethodPost, "/public/v1/listing-requests/"+str(draft, "id")+"/cancel", v, nil, http.StatusOK)
	lr := obj(t, c.exchange(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"type": "new",
		"product_id": str(prd, "id"), "marketplace": str(mp, "id"),
		"prices": []map[string]any{{"item": str(item, "id"), "price": "10", "terms": []string{"P1M"}},
			{"item": str(ppu, "id"), "price": "0.05"}, {"item": str(extra, "id"), "price": "2"}}}, http.StatusCreated))
	c.exchange(http.MethodGet, "/public/v1/listing-requests", v, nil, http.StatusOK)
	c.exchange(http.MethodGet, "/public/v1/listing-requests/"+str(lr, "id"), v, nil, http.StatusOK)
	f.do(http.MethodPost, "/public/v1/listing-requests/"+str(lr, "id")+"/approve", p, nil, http.StatusOK, nil)
	c.exchange(http.MethodGet, "/public/v1/listing-requests?state=completed", v, nil, http.StatusOK)
	listings := list(t, c.exchange(http.MethodGet, "/public/v1/listings", p, nil, http.StatusOK))
	c.exchange(http.MethodGet, "/public/v1/listings/"+str(listings[0], "id"), p, nil, http.StatusOK)

	// The provider's hub, and the product's connection to it.
	hub := obj(t, c.exchange(http.MethodPost, "/public/v1/hubs", p, map[string]any{"name": "Apollo OA", "description": "Apollo's commerce",
		"instance_id": "oa-apollo", "instance_type": "api"}, http.StatusCreated))
	c.exchange(http.MethodGet, "/public/v1/hubs", p, nil, http.StatusOK)
	hub = obj(t, c.exchange(http.MethodGet, "/public/v1/hubs/"+str(hub, "id"), p, nil, http.StatusOK))
	hub["name"], hub["instance_id"], hub["instance_type"] = "Apollo Commerce", "oa-apollo", "api"
	c.exchange(http.MethodPut, "/public/v1/hubs/"+str(hub, "id"), p, hub, http.StatusOK)
	conn := obj(t, c.exchange(http.MethodPost, base+"/connections", v, map[string]any{"type": "production",
		"provider": map[string]any{"id": f.provider.ID}, "vendor": map[string]any{"id": f.vendor.ID},
		"hub": map[string]any{"id": str(hub, "id")}}, http.StatusCreated))
	c.exchange(http.MethodGet, base+"/connections", v, nil, http.StatusOK)
	conn = obj(t, c.exchange(http.MethodGet, base+"/connections/"+str(conn, "id"), v, nil, http.StatusOK))
	conn["note"] = "the main hub"
	c.exchange(http.MethodPut, base+"/connections/"+str(conn, "id"), v, conn, http.StatusOK)

	// A provider's purchase, as Connect's clients send it.
	purchase := func(externalID string) map[string]any {
		return obj(t, c.exchange(http.MethodPost, "/public/v1/requests", p, map[string]any{"type": "purchase", "asset": map[string]any{
			"external_id": externalID,
			"connection":  map[string]any{"id": str(conn, "id")},
			"product":     map[string]any{"id": str(prd, "id")},
			"marketplace": map[string]any{"id": str(mp, "id")},
			"items":       []any{map[string]any{"id": str(item, "id"), "quantity": 5}, map[string]any{"id": str(ppu, "id"), "quantity": 0}},
			"params":      []any{map[string]any{"id": "param_tenant", "value": "contoso"}},
			"tiers": map[string]any{"customer": map[string]any{"name": "Contoso Ltd", "external_id": "CUST-1", "tax_id": "US-123",
				"contact_info": map[string]any{"address_line1": "1 Main St", "address_line2": "Floor 2", "city": "Redmond",
					"state": "WA", "postal_code": "98052", "country": "US", "contact": map[string]any{"first_name": "Ada",
						"last_name": "Lovelace", "email": "ada@contoso.example",
						"phone_number": map[string]any{"country_code": "+1", "area_code": "425", "phone_number": "5550100"}}}}},
		}}, http.StatusCreated))
	}
	req := purchase("ORDER-1")
	rid := "/public/v1/requests/" + str(req, "id")
	c.exchange(http.MethodGet, "/public/v1/requests?status=pending&asset.product.id="+str(prd, "id"), v, nil, http.StatusOK)
	req = obj(t, c.exchange(http.MethodGet, rid, v, nil, http.StatusOK))
	c.exchange(http.MethodPost, rid+"/assign", v, map[string]any{"id": f.vendor.ID}, http.StatusOK)
	c.exchange(http.MethodPost, rid+"/unassign", v, nil, http.StatusOK)
	c.exchange(http.MethodPut, rid, v, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_admin_email", "value_error": "Please tell us the administrator's email"}}}}, http.StatusOK)
	c.exchange(http.MethodPost, rid+"/inquire", v, map[string]any{"template_id": str(inq, "id")}, http.StatusOK)
	c.exchange(http.MethodGet, rid+"/render", v, nil, http.StatusOK)
	c.exchange(http.MethodPut, rid, v, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_admin_email", "value": "admin@contoso.example", "value_error": ""}}}}, http.StatusOK)
	c.exchange(http.MethodPost, rid+"/pend", v, nil, http.StatusOK)
	c.exchange(http.MethodPost, rid+"/approve", v, map[string]any{"template_id": str(tpl, "id")}, http.StatusOK)
	failing := purchase("ORDER-2")
	c.exchange(http.MethodPost, "/public/v1/requests/"+str(failing, "id")+"/fail", v, map[string]any{"reason": "out of stock"}, http.StatusOK)

	// The asset.
	asset := str(req, "asset", "id")
	c.exchange(http.MethodGet, "/public/v1/assets?product.id="+str(prd, "id"), v, nil, http.StatusOK)
	c.exchange(http.MethodGet, "/public/v1/assets/"+asset, v, nil, http.StatusOK)
	c.exchange(http.MethodGet, "/public/v1/assets/"+asset+"/requests", v, nil, http.StatusOK)
	c.exchange(http.MethodGet, "/public/v1/assets/"+asset+"/render", v, nil, http.StatusOK)
	// The provider changes the asset as Connect's clients do.
	chg := obj(t, c.exchange(http.MethodPost, "/public/v1/requests", p, map[string]any{"type": "change", "asset": map[string]any{
		"id": asset, "items": []any{map[string]any{"id": str(item, "id"), "quantity": 6}}}}, http.StatusCreated))
	f.do(http.MethodPost, "/public/v1/requests/"+str(chg, "id")+"/approve", v, map[string]any{"template_id": str(tpl, "id")}, http.StatusOK, nil)

	c.exchange(http.MethodGet, "/public/v1/usage/products/"+str(prd, "id")+"/template", v, nil, http.StatusOK)

	// End of sale, and back.
	c.exchange(http.MethodPost, base+"/endsale", v, map[string]any{"end_of_sale_notes": "replaced by Meet 2"}, http.StatusOK)
	c.exchange(http.MethodPost, base+"/resumesale", v, nil, http.StatusOK)

	conformUsage(t, c, f, str(prd, "id"), str(mp, "id"), asset, str(ppu, "mpn"))
}

// conformUsage drives the usage file operations: one file uploaded,
// processed, submitted and accepted, then closed; one rejected.
func conformUsage(t *testing.T, c *conformance, f *fixture, product, marketplace, asset, ppuMPN string) {
	t.Helper()
	v, p := f.vendor.Token.Value, f.provider.Token.Value
	now := time.Now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	newFile := func(name string) string {
		uf := obj(t, c.exchange(http.MethodPost, "/public/v1/usage/files", v, map[string]any{"name": name,
			"description": "Monthly usage", "product": map[string]any{"id": product},
			"contract": map[string]any{"id": marketplace},
			"period":   map[string]any{"from": from.Format(time.DateOnly), "to": from.AddDate(0, 1, 0).Format(time.DateOnly)},
			"currency": "USD"}, http.StatusCreated))
		return str(uf, "id")
	}
	upload := func(id string) {
		// After the asset's activation, which the usage must not precede.
		start := time.Now().UTC().Truncate(time.Second).Add(time.Second)
		csv := strings.Join(usage.Columns, ",") + "\n" + fmt.Sprintf("r1,,item.mpn,%s,12.5,%s,%s,asset.id,%s\n",
			ppuMPN, start.Format(time.DateTime), start.Add(time.Minute).Format(time.DateTime), asset)
		ctype, body := multipartPart(t, "usage_file", "usage.csv", []byte(csv))
		uf := obj(t, c.send(http.MethodPost, "/public/v1/usage/files/"+id+"/upload", v, ctype, body, http.StatusOK))
		key, _ := uf["upload"].(map[string]any)["key"].(string)
		if err := f.app.UsageProcessor().Process(context.Background(), key, false); err != nil {
			t.Fatalf("process %s: %v", id, err)
		}
	}
	id := newFile("December")
	c.exchange(http.MethodGet, "/public/v1/usage/files", v, nil, http.StatusOK)
	upload(id)
	if uf := obj(t, c.exchange(http.MethodGet, "/public/v1/usage/files/"+id, v, nil, http.StatusOK)); str(uf, "status") != usage.StatusReady {
		t.Errorf("processed file = %s", truncate(fmt.Sprint(uf)))
	}
	c.exchange(http.MethodGet, "/public/v1/usage/records?usage_file.id="+id, v, nil, http.StatusOK)
	c.exchange(http.MethodPost, "/public/v1/usage/files/"+id+"/submit", v, nil, http.StatusOK)
	c.exchange(http.MethodPost, "/public/v1/usage/files/"+id+"/accept", p, map[string]any{"acceptance_note": "thanks"}, http.StatusOK)
	c.exchange(http.MethodPost, "/public/v1/usage/files/"+id+"/close", v, nil, http.StatusOK)

	other := newFile("December, again")
	upload(other)
	c.exchange(http.MethodPost, "/public/v1/usage/files/"+other+"/submit", v, nil, http.StatusOK)
	c.exchange(http.MethodPost, "/public/v1/usage/files/"+other+"/reject", p, map[string]any{"rejection_note": "counted twice"}, http.StatusOK)
}

// multipartPart is a form with one file part named field.
func multipartPart(t *testing.T, field, name string, content []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}
