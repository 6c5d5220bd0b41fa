package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/rql"
)

// fulfillmentRoutes are the vendor's queue, the request actions and the
// assets. POST /public/v1/requests (a provider's purchase) is ordering's.
func (s *Server) fulfillmentRoutes() []route {
	const r = "/public/v1/requests"
	rs := []route{
		{Method: http.MethodGet, Path: r, Access: anyAccount, Handle: s.listRequests},
		{Method: http.MethodGet, Path: r + "/{id}", Access: anyAccount, Handle: s.getRequest},
		{Method: http.MethodPut, Path: r + "/{id}", Access: anyAccount, Handle: s.updateRequest},
		{Method: http.MethodPost, Path: r + "/{id}/pend", Access: vendorOnly, Handle: s.pendRequest},
		{Method: http.MethodPost, Path: r + "/{id}/inquire", Access: vendorOnly, Handle: s.inquireRequest},
		{Method: http.MethodPost, Path: r + "/{id}/approve", Access: vendorOnly, Handle: s.approveRequest},
		{Method: http.MethodPost, Path: r + "/{id}/fail", Access: vendorOnly, Handle: s.failRequest},
		{Method: http.MethodPost, Path: r + "/{id}/assign", Access: vendorOnly, Handle: s.assignRequest},
		{Method: http.MethodPost, Path: r + "/{id}/unassign", Access: vendorOnly, Handle: s.unassignRequest},
	}
	return append(rs, s.assetRoutes()...)
}

// requestFields are what request lists filter and order by; the short
// names (product, marketplace, asset, assignee) are Connect's aliases.
var requestFields = []string{"id", "status", "type", "created", "updated",
	"asset.id", "asset", "asset.external_id", "asset.product.id", "product.id", "product",
	"marketplace.id", "asset.marketplace.id", "marketplace", "assignee.id", "assignee", "asset.tiers.customer.id"}

func requestField(r fulfillment.Request, f string) string {
	switch f {
	case "id":
		return r.ID
	case "status":
		return r.Status
	case "type":
		return r.Type
	case "updated":
		return codec.Stamp(r.Updated)
	case "asset.id", "asset":
		return r.Asset.ID
	case "asset.external_id":
		return r.Asset.ExternalID
	case "asset.product.id", "product.id", "product":
		return r.Asset.Product.ID
	case "marketplace.id", "asset.marketplace.id", "marketplace":
		return r.Asset.Marketplace.ID
	case "assignee.id", "assignee":
		if r.Assignee == nil {
			return ""
		}
		return r.Assignee.ID
	case "asset.tiers.customer.id":
		return r.Asset.Tiers.Customer.ID
	}
	return codec.Stamp(r.Created)
}

// statusHint picks the statuses a list asks for, so that the vendor's
// queue reads only their index partitions: every request the list keeps
// passes the first status filter, which is therefore a safe superset.
func statusHint(q rql.Query) []string {
	for _, f := range q.Filters {
		if f.Field == "status" && (f.Op == rql.Eq || f.Op == rql.In) {
			return f.Values
		}
	}
	return nil
}

// listRequests answers a page of the vendor's queue or the provider's
// requests, reading what it answers: the vendor's status filter picks the
// status lists, created bounds and the created order are key conditions,
// other filters apply to the rows read (listpage.go).
func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) error {
	q, lp, lq, err := codec.CreatedQuery[fulfillment.Request](r, "requests", requestFields)
	if err != nil {
		return err
	}
	actor := principal(r)
	pushed := codec.IsTimeBound("created")
	if actor.Is(account.Vendor) {
		lq.Statuses = statusHint(q)
		pushed = func(f rql.Filter) bool {
			return codec.IsTimeBound("created")(f) || (len(lq.Statuses) > 0 && f.Field == "status" && (f.Op == rql.Eq || f.Op == rql.In))
		}
	}
	rest := codec.Residual(q, pushed)
	lq.Match = codec.Matcher(rest, requestField)
	page, err := s.cfg.Fulfillment.RequestPage(r.Context(), actor, lq)
	count := func() (int, error) { return s.cfg.Fulfillment.RequestCount(r.Context(), actor, lq.Statuses) }
	return codec.WriteCountedPage(w, r, lp, lq, page, err, count, viewRequest)
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := s.cfg.Fulfillment.Request(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, viewRequest(req), err)
}

func (s *Server) updateRequest(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeRequestUpdate(r)
	if err != nil {
		return err
	}
	req, err := s.cfg.Fulfillment.Update(r.Context(), principal(r), r.PathValue("id"), in)
	return codec.Show(w, viewRequest(req), err)
}

func (s *Server) pendRequest(w http.ResponseWriter, r *http.Request) error {
	return act(s, w, r, withoutInput(FulfillmentService.Pend))
}

// act answers a request action whose body is optional: nothing, {} or the
// fields of In.
func act[In any](s *Server, w http.ResponseWriter, r *http.Request, action func(FulfillmentService, context.Context, account.Principal, string, In) (fulfillment.Request, error)) error {
	var in In
	if err := codec.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	req, err := action(s.cfg.Fulfillment, r.Context(), principal(r), r.PathValue("id"), in)
	return codec.Show(w, viewRequest(req), err)
}

// withoutInput adapts an action that takes no input: a field sent to it is
// refused by the strict decoding of an empty struct.
func withoutInput(action func(FulfillmentService, context.Context, account.Principal, string) (fulfillment.Request, error)) func(FulfillmentService, context.Context, account.Principal, string, struct{}) (fulfillment.Request, error) {
	return func(f FulfillmentService, ctx context.Context, actor account.Principal, id string, _ struct{}) (fulfillment.Request, error) {
		return action(f, ctx, actor, id)
	}
}

func (s *Server) inquireRequest(w http.ResponseWriter, r *http.Request) error {
	return act(s, w, r, FulfillmentService.Inquire)
}

func (s *Server) approveRequest(w http.ResponseWriter, r *http.Request) error {
	return codec.Update(w, r, func(in fulfillment.ApproveInput) (requestView, error) {
		req, err := s.cfg.Fulfillment.Approve(r.Context(), principal(r), r.PathValue("id"), in)
		return viewRequest(req), err
	})
}

func (s *Server) failRequest(w http.ResponseWriter, r *http.Request) error {
	return codec.Update(w, r, func(in fulfillment.FailInput) (requestView, error) {
		req, err := s.cfg.Fulfillment.Fail(r.Context(), principal(r), r.PathValue("id"), in)
		return viewRequest(req), err
	})
}

func (s *Server) assignRequest(w http.ResponseWriter, r *http.Request) error {
	return act(s, w, r, FulfillmentService.Assign)
}

func (s *Server) unassignRequest(w http.ResponseWriter, r *http.Request) error {
	return act(s, w, r, withoutInput(FulfillmentService.Unassign))
}

// decodeRequestUpdate reads PUT /requests/{id}. Only note and the asset
// parameters' value and value_error change. As Connect does, the other
// properties of a request (what a client read and sends back) are ignored;
// a name that is no property of a request, its asset or a parameter (a
// typo) is refused by name.
func decodeRequestUpdate(r *http.Request) (fulfillment.UpdateInput, error) {
	var top map[string]json.RawMessage
	if err := codec.DecodeJSON(r, &top, false); err != nil {
		return fulfillment.UpdateInput{}, err
	}
	var in fulfillment.UpdateInput
	var refused []string
	for _, k := range slices.Sorted(maps.Keys(top)) {
		switch strings.ToLower(k) {
		case "note":
			if err := field(top[k], "note", &in.Note); err != nil {
				return in, err
			}
		case "asset":
			ps, ref, err := decodeAssetUpdate(top[k])
			if err != nil {
				return in, err
			}
			in.Params, refused = ps, append(refused, ref...)
		default:
			if !requestNames[strings.ToLower(k)] {
				refused = append(refused, k)
			}
		}
	}
	if len(refused) > 0 {
		msgs := make([]string, 0, len(refused))
		for _, f := range refused {
			msgs = append(msgs, fmt.Sprintf("unknown field %s: PUT /public/v1/requests/{id} changes note and asset.params[].value and value_error", f))
		}
		return in, fault.InvalidList(msgs...)
	}
	return in, nil
}

// The properties a request, its asset and their parameters are read with:
// sent back on PUT, they are ignored.
var (
	requestNames = codec.JSONNames(reflect.TypeFor[requestView]())
	assetNames   = codec.JSONNames(reflect.TypeFor[assetView]())
	paramNames   = codec.JSONNames(reflect.TypeFor[assetParamView]())
)

func decodeAssetUpdate(raw json.RawMessage) ([]fulfillment.ParamInput, []string, error) {
	var asset map[string]json.RawMessage
	if err := field(raw, "asset", &asset); err != nil {
		return nil, nil, err
	}
	var refused []string
	var params []map[string]json.RawMessage
	for _, k := range slices.Sorted(maps.Keys(asset)) {
		if strings.ToLower(k) != "params" {
			if !assetNames[strings.ToLower(k)] {
				refused = append(refused, "asset."+k)
			}
			continue
		}
		if err := field(asset[k], "asset.params", &params); err != nil {
			return nil, nil, err
		}
	}
	out := make([]fulfillment.ParamInput, 0, len(params))
	for i, p := range params {
		in, ref, err := decodeParamUpdate(i, p)
		if err != nil {
			return nil, nil, err
		}
		out, refused = append(out, in), append(refused, ref...)
	}
	return out, refused, nil
}

func decodeParamUpdate(i int, p map[string]json.RawMessage) (fulfillment.ParamInput, []string, error) {
	var in fulfillment.ParamInput
	var refused []string
	name := func(k string) string { return fmt.Sprintf("asset.params[%d].%s", i, k) }
	for _, k := range slices.Sorted(maps.Keys(p)) {
		var err error
		switch strings.ToLower(k) {
		case "id", "name":
			err = field(p[k], name(k), &in.ID)
		case "value":
			err = field(p[k], name(k), &in.Value)
		case "value_error":
			err = field(p[k], name(k), &in.ValueError)
		default:
			if !paramNames[strings.ToLower(k)] {
				refused = append(refused, name(k))
			}
		}
		if err != nil {
			return in, nil, err
		}
	}
	if in.ID == "" {
		return in, nil, fault.Invalidf("%s is required: the parameter's id or name", name("id"))
	}
	return in, refused, nil
}

// field decodes one value of a body, naming it when its type is wrong.
func field(raw json.RawMessage, name string, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fault.Malformedf("field %q must be %s", name, jsonKindOf(v))
	}
	return nil
}

func jsonKindOf(v any) string {
	switch v.(type) {
	case **string, *string:
		return "a string"
	case *[]map[string]json.RawMessage:
		return "an array of objects"
	}
	return "an object"
}
