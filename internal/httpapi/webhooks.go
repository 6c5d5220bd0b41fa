package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/rql"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// webhookRoutes serve vendor and provider accounts; the service answers
// 403 to the others.
func (s *Server) webhookRoutes() []route {
	const base = "/public/v1/webhooks"
	return []route{
		{Method: http.MethodPost, Path: base, Access: anyAccount, Handle: s.createWebhook},
		{Method: http.MethodGet, Path: base, Access: anyAccount, Handle: s.listWebhooks},
		{Method: http.MethodGet, Path: base + "/event-types", Access: anyAccount, Handle: s.webhookEventTypes},
		{Method: http.MethodGet, Path: base + "/{id}", Access: anyAccount, Handle: s.getWebhook},
		{Method: http.MethodPut, Path: base + "/{id}", Access: anyAccount, Handle: s.updateWebhook},
		{Method: http.MethodDelete, Path: base + "/{id}", Access: anyAccount, Handle: s.deleteWebhook},
		{Method: http.MethodPost, Path: base + "/{id}/rotate-secret", Access: anyAccount, Handle: s.rotateWebhookSecret},
		{Method: http.MethodPost, Path: base + "/{id}/test", Access: anyAccount, Handle: s.testWebhook},
		{Method: http.MethodGet, Path: base + "/{id}/deliveries", Access: anyAccount, Handle: s.listWebhookDeliveries},
		{Method: http.MethodPost, Path: base + "/{id}/deliveries/{delivery_id}/redeliver", Access: anyAccount, Handle: s.redeliverWebhook},
		{Method: http.MethodPost, Path: base + "/{id}/recover", Access: anyAccount, Handle: s.recoverWebhook},
	}
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhook.Input
	if err := codec.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	wh, err := s.cfg.Webhooks.Create(r.Context(), principal(r), in)
	return codec.Respond(w, http.StatusCreated, wh, err)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	whs, err := s.cfg.Webhooks.List(r.Context(), principal(r))
	return codec.List(w, r, whs, err, webhookField, "id", "label", "url", "active", "created", "updated")
}

func webhookField(wh webhook.Webhook, f string) string {
	switch f {
	case "id":
		return wh.ID
	case "label":
		return wh.Label
	case "url":
		return wh.URL
	case "active":
		return strconv.FormatBool(wh.Active)
	case "updated":
		return codec.Stamp(wh.Updated)
	}
	return codec.Stamp(wh.Created)
}

func (s *Server) webhookEventTypes(w http.ResponseWriter, r *http.Request) error {
	return codec.List(w, r, s.cfg.Webhooks.EventTypes(), nil, func(et webhook.EventType, _ string) string {
		return string(et.Type)
	}, "type")
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, err := s.cfg.Webhooks.Get(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, wh, err)
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhook.Input
	if err := codec.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	wh, err := s.cfg.Webhooks.Update(r.Context(), principal(r), r.PathValue("id"), in)
	return codec.Show(w, wh, err)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	return codec.NoContent(w, s.cfg.Webhooks.Delete(r.Context(), principal(r), r.PathValue("id")))
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	var in webhook.RotateInput
	if err := codec.DecodeOptionalJSON(r, &in); err != nil {
		return s.bodyError(r, err)
	}
	wh, err := s.cfg.Webhooks.RotateSecret(r.Context(), principal(r), r.PathValue("id"), in)
	return codec.Show(w, wh, err)
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	d, err := s.cfg.Webhooks.Test(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, d, err)
}

// listWebhookDeliveries answers one page, newest first. Its Content-Range
// total is exact up to a thousand matching deliveries, and "*" past that:
// counting a busy webhook's whole month would read all of it.
func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	p, err := codec.ParsePaging(r)
	if err != nil {
		return err
	}
	f, err := deliveryFilter(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.cfg.Webhooks.Deliveries(r.Context(), principal(r), r.PathValue("id"), f, p.Offset, p.Limit)
	if err != nil {
		return err
	}
	total := codec.UnknownTotal
	if page.Exact {
		total = page.Total
	}
	codec.WritePage(w, page.Items, page.Offset, total)
	return nil
}

// deliveryFilter reads the filters of a deliveries list: status and
// event_type, as plain parameters or RQL, by equality only, since the list
// is read from the table a page at a time rather than filtered in memory.
// Anything else is refused, as the other lists refuse it.
func deliveryFilter(q url.Values) (webhook.DeliveryFilter, error) {
	parsed, err := rql.Parse(q, "status", "event_type")
	if err != nil {
		return webhook.DeliveryFilter{}, err
	}
	if len(parsed.Order) > 0 {
		return webhook.DeliveryFilter{}, fault.Invalidf("deliveries are listed newest first; ordering() is not supported")
	}
	vals := map[string]string{}
	for _, f := range parsed.Filters {
		if f.Op != rql.Eq {
			return webhook.DeliveryFilter{}, fault.Invalidf("%s filters by equality only (%s=value or eq(%s,value)), not %s", f.Field, f.Field, f.Field, f.Op)
		}
		if _, twice := vals[f.Field]; twice {
			return webhook.DeliveryFilter{}, fault.Invalidf("%s is given more than once", f.Field)
		}
		vals[f.Field] = f.Values[0]
	}
	return webhook.ParseDeliveryFilter(vals["status"], vals["event_type"])
}

func (s *Server) redeliverWebhook(w http.ResponseWriter, r *http.Request) error {
	d, err := s.cfg.Webhooks.Redeliver(r.Context(), principal(r), r.PathValue("id"), r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusAccepted, d)
	return nil
}

// bodyError answers a body that could not be decoded on a webhook's path:
// 404 when the caller has no such webhook, whatever the body, as the
// service answers for a body that decodes. A bad body costs one more read.
func (s *Server) bodyError(r *http.Request, err error) error {
	if _, getErr := s.cfg.Webhooks.Get(r.Context(), principal(r), r.PathValue("id")); getErr != nil {
		return getErr
	}
	return err
}

func (s *Server) recoverWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhook.RecoverInput
	if err := codec.DecodeJSON(r, &in, true); err != nil {
		return s.bodyError(r, err)
	}
	rec, err := s.cfg.Webhooks.Recover(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", rec.Progress)
	endpoint.WriteJSON(w, http.StatusAccepted, rec)
	return nil
}
