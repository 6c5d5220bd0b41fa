package httpapi

import (
	"net/http"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
)

// principal returns the authenticated caller (endpoint.Principal).
func principal(r *http.Request) account.Principal { return endpoint.Principal(r) }
