package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"net/http"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fault"
)

func (s *Server) accountRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/public/v1/auth/context", Access: anyAccount, Handle: s.authContext},
		{Method: http.MethodPost, Path: "/public/v1/auth/tokens", Access: anyAccount, Handle: s.createToken},
		{Method: http.MethodGet, Path: "/public/v1/auth/tokens", Access: anyAccount, Handle: s.listTokens},
		{Method: http.MethodGet, Path: "/public/v1/auth/tokens/{id}", Access: anyAccount, Handle: s.getToken},
		{Method: http.MethodPut, Path: "/public/v1/auth/tokens/{id}", Access: anyAccount, Handle: s.updateToken},
		{Method: http.MethodDelete, Path: "/public/v1/auth/tokens/{id}", Access: anyAccount, Handle: s.deleteToken},
		{Method: http.MethodPost, Path: "/public/v1/accounts", Access: adminOnly, Handle: s.createAccount},
		{Method: http.MethodGet, Path: "/public/v1/accounts", Access: anyAccount, Handle: s.listAccounts},
		{Method: http.MethodGet, Path: "/public/v1/accounts/{id}", Access: anyAccount, Handle: s.getAccount},
	}
}

// authContextBody answers "who am I", in Connect's shape.
type authContextBody struct {
	Account struct {
		ID   string       `json:"id"`
		Type account.Type `json:"type"`
		Name string       `json:"name"`
	} `json:"account"`
	Token struct {
		ID string `json:"id"`
	} `json:"token"`
}

func (s *Server) authContext(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var body authContextBody
	body.Account.ID, body.Account.Type, body.Account.Name = p.AccountID, p.AccountType, p.AccountName
	body.Token.ID = p.TokenID
	endpoint.WriteJSON(w, http.StatusOK, body)
	return nil
}

// tokenInput is a token write in either dialect. Connect names the
// extension a token acts for; a Mercato token acts for its whole account,
// so the extension is accepted and not kept.
type tokenInput struct {
	account.CreateTokenInput
	Extension *ref `json:"extension"`
}

// newTokenView is a created token (its value shown once) as Connect
// renders it.
type newTokenView struct {
	tokenView
	Value string `json:"token"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenInput
	if err := codec.DecodeWrite(r, &in, new(newTokenView)); err != nil {
		return err
	}
	tok, err := s.cfg.Accounts.CreateToken(r.Context(), principal(r), in.CreateTokenInput)
	return codec.Respond(w, http.StatusCreated, newTokenView{tokenView: viewToken(principal(r))(tok.Token), Value: tok.Value}, err)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	toks, err := s.cfg.Accounts.ListTokens(r.Context(), principal(r))
	return codec.ListAs(w, r, toks, err, func(t account.Token, f string) string {
		switch f {
		case "id":
			return t.ID
		case "name":
			return t.Name
		}
		return codec.Stamp(t.Created)
	}, viewToken(principal(r)), "id", "name", "created")
}

// getToken reads one of the caller's tokens (another account's is 404).
func (s *Server) getToken(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	toks, err := s.cfg.Accounts.ListTokens(r.Context(), p)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if t.ID == r.PathValue("id") {
			endpoint.WriteJSON(w, http.StatusOK, viewToken(p)(t))
			return nil
		}
	}
	return fault.NotFoundf("token %s not found", r.PathValue("id"))
}

// updateToken renames one of the caller's tokens or changes its notes, as
// Connect's PUT does; a round trip of what GET answered is accepted.
func (s *Server) updateToken(w http.ResponseWriter, r *http.Request) error {
	var in account.UpdateTokenInput
	if err := codec.DecodeWrite(r, &in, new(tokenView)); err != nil {
		return err
	}
	t, err := s.cfg.Accounts.UpdateToken(r.Context(), principal(r), r.PathValue("id"), in)
	return codec.Show(w, viewToken(principal(r))(t), err)
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) error {
	return codec.NoContent(w, s.cfg.Accounts.DeleteToken(r.Context(), principal(r), r.PathValue("id")))
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) error {
	var in account.CreateAccountInput
	if err := codec.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	c, err := s.cfg.Accounts.CreateAccount(r.Context(), principal(r), in)
	return codec.Respond(w, http.StatusCreated, c, err)
}

// listAccounts lists every account to an admin, and the caller's own
// account to anyone else, as Connect does (connect-cli's "account add"
// reads it with a plain token).
func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var accts []account.Account
	var err error
	if p.Is(account.Admin) {
		accts, err = s.cfg.Accounts.List(r.Context(), p, account.Type(r.URL.Query().Get("type")))
	} else {
		var own account.Account
		if own, err = s.cfg.Accounts.Get(r.Context(), p, p.AccountID); err == nil {
			accts = []account.Account{own}
		}
	}
	return codec.List(w, r, accts, err, func(a account.Account, f string) string {
		switch f {
		case "id":
			return a.ID
		case "type":
			return string(a.Type)
		case "name":
			return a.Name
		}
		return codec.Stamp(a.Created)
	}, "id", "type", "name", "created")
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cfg.Accounts.Get(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, a, err)
}
