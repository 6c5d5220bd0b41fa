// Command render is the function of the HTTP API's render routes: a
// request's or an asset's rendered template, as Markdown or HTML.
package main

import (
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/renderfn"
)

func main() { function.Start("render", renderfn.Lambda) }
