package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"net/http"
	"time"

	"github.com/mercato-dev/mercato/internal/catalog"
)

func (s *Server) hubRoutes() []route {
	const h, p = "/public/v1/hubs", "/public/v1/products/{id}/connections"
	return []route{
		{Method: http.MethodPost, Path: h, Access: providerOnly, Handle: s.createHub},
		{Method: http.MethodGet, Path: h, Access: providerOnly, Handle: s.listHubs},
		{Method: http.MethodGet, Path: h + "/{id}", Access: anyAccount, Handle: s.getHub},
		{Method: http.MethodPut, Path: h + "/{id}", Access: providerOnly, Handle: s.updateHub},
		{Method: http.MethodPost, Path: p, Access: vendorOnly, Handle: s.createConnection},
		{Method: http.MethodGet, Path: p, Access: anyAccount, Handle: s.listConnections},
		{Method: http.MethodGet, Path: p + "/{connection_id}", Access: anyAccount, Handle: s.getConnection},
		{Method: http.MethodPut, Path: p + "/{connection_id}", Access: vendorOnly, Handle: s.updateConnection},
	}
}

// hubView is a hub as Connect renders it: the provider is its company;
// every Mercato hub orders through the API.
type hubView struct {
	catalog.Hub
	Company  catalog.Ref `json:"company"`
	Instance struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"instance"`
	Events struct {
		Created struct {
			At time.Time `json:"at"`
		} `json:"created"`
		Updated struct {
			At time.Time `json:"at"`
		} `json:"updated"`
	} `json:"events"`
}

func viewHub(h catalog.Hub) hubView {
	v := hubView{Hub: h, Company: h.Owner}
	v.Instance.ID, v.Instance.Type = h.ID, "API"
	v.Events.Created.At, v.Events.Updated.At = h.Created, h.Updated
	return v
}

// hubInput is a hub write in Connect's shape: its instance is Mercato's
// API, whatever the body says.
type hubInput struct {
	catalog.HubInput
	InstanceID   *string `json:"instance_id"`
	InstanceType *string `json:"instance_type"`
}

func (s *Server) createHub(w http.ResponseWriter, r *http.Request) error {
	return codec.Create(w, r, func(in hubInput) (hubView, error) {
		h, err := s.cfg.Catalog.CreateHub(r.Context(), principal(r), in.HubInput)
		return viewHub(h), err
	})
}

func (s *Server) listHubs(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.cfg.Catalog.ListHubs(r.Context(), principal(r))
	return codec.ListAs(w, r, hs, err, func(h catalog.Hub, f string) string {
		switch f {
		case "id":
			return h.ID
		case "name":
			return h.Name
		}
		return codec.Stamp(h.Created)
	}, viewHub, "id", "name", "created")
}

func (s *Server) getHub(w http.ResponseWriter, r *http.Request) error {
	h, err := s.cfg.Catalog.GetHub(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, viewHub(h), err)
}

func (s *Server) updateHub(w http.ResponseWriter, r *http.Request) error {
	return codec.Update(w, r, func(in hubInput) (hubView, error) {
		h, err := s.cfg.Catalog.UpdateHub(r.Context(), principal(r), r.PathValue("id"), in.HubInput)
		return viewHub(h), err
	})
}

// connectionDetail is a connection as Connect renders it.
type connectionDetail struct {
	catalog.Connection
	CreatedAt time.Time `json:"created_at"`
}

func viewConnection(c catalog.Connection) connectionDetail {
	return connectionDetail{Connection: c, CreatedAt: c.Created}
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request) error {
	return codec.Create(w, r, func(in catalog.ConnectionInput) (connectionDetail, error) {
		c, err := s.cfg.Catalog.CreateConnection(r.Context(), principal(r), r.PathValue("id"), in)
		return viewConnection(c), err
	})
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.cfg.Catalog.Connections(r.Context(), principal(r), r.PathValue("id"))
	return codec.ListAs(w, r, cs, err, func(c catalog.Connection, f string) string {
		switch f {
		case "id":
			return c.ID
		case "type":
			return c.Type
		case "hub.id":
			return c.Hub.ID
		case "provider.id":
			return c.Provider.ID
		}
		return codec.Stamp(c.Created)
	}, viewConnection, "id", "type", "hub.id", "provider.id", "created")
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Catalog.GetConnection(r.Context(), principal(r), r.PathValue("id"), r.PathValue("connection_id"))
	return codec.Show(w, viewConnection(c), err)
}

func (s *Server) updateConnection(w http.ResponseWriter, r *http.Request) error {
	return codec.Update(w, r, func(in catalog.ConnectionInput) (connectionDetail, error) {
		c, err := s.cfg.Catalog.UpdateConnection(r.Context(), principal(r), r.PathValue("id"), r.PathValue("connection_id"), in)
		return viewConnection(c), err
	})
}
