package usage

import (
	"fmt"
	"strings"
	"time"
)

// ItemRef names the item of a record.
type ItemRef struct {
	ID   string `json:"id" dynamodbav:"id"`
	MPN  string `json:"mpn" dynamodbav:"mpn"`
	Name string `json:"name" dynamodbav:"name,omitempty"`
}

// Record is one valid row of a processed file: a quantity of an item used
// by an asset over an interval. Price is the unit price it is charged at,
// fixed when the file is processed: the asset's price for the item (the
// listing price it was bought at), or the listing's price when the asset
// was not bought with that item.
type Record struct {
	ID        string    `json:"id"`
	RecordID  string    `json:"record_id"`
	Note      string    `json:"record_note"`
	Status    string    `json:"status"`
	UsageFile Ref       `json:"usage_file"`
	Product   Ref       `json:"product"`
	Item      ItemRef   `json:"item"`
	Asset     Ref       `json:"asset"`
	Quantity  string    `json:"quantity"`
	Price     string    `json:"price"`
	Currency  string    `json:"currency"`
	Start     time.Time `json:"start_time_utc"`
	End       time.Time `json:"end_time_utc"`
	Row       int       `json:"row"`
	// DuplicateOf is the file that was accepted with the same record id
	// first: such a record is not billed.
	DuplicateOf string `json:"duplicate_of,omitempty"`
}

// RecordID is the platform id of a file's n-th record (from 0): the file's
// digits and a sequence, like request ids. It is the same every time the
// same file is processed.
func RecordID(fileID string, n int) string {
	return fmt.Sprintf("UR-%s-%06d", strings.TrimPrefix(fileID, "UF-"), n+1)
}
