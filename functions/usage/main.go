// Command usage consumes the S3 notifications of uploaded usage files and
// validates the files.
package main

import (
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/usagefn"
)

func main() { function.Start("usage", usagefn.Lambda) }
