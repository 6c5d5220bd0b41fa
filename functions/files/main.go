// Command files is the function of the HTTP API's files routes: usage files
// and records, and the provider's invoices with their reconciliation
// exports.
package main

import (
	"github.com/mercato-dev/mercato/internal/app/filesfn"
	"github.com/mercato-dev/mercato/internal/app/function"
)

func main() { function.Start("files", filesfn.Lambda) }
