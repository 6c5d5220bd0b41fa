package dynamo

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/event"
)

// EventPrefix starts the partition key of every outbox event item.
const EventPrefix = "EVENT#"

// EventItem is how an event is stored in the outbox. Data is kept as the
// JSON text the API produced, so the relay publishes it byte for byte.
//
// It carries no index key: nothing lists an account's events, and an index
// key would put every event of a busy account into one index partition.
// The relay records what it sent in a RelayMark beside it, so the (large)
// event item is written once and never rewritten.
type EventItem struct {
	Key
	ID        string `dynamodbav:"id"`
	Type      string `dynamodbav:"type"`
	Created   string `dynamodbav:"created"`
	Account   string `dynamodbav:"account"`
	Data      string `dynamodbav:"data"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
	// Trace is the X-Amzn-Trace-Id of the request that committed the
	// event (Tx.Commit sets it), so that its trace goes on in the relay.
	Trace string `dynamodbav:"trace,omitempty"`
}

// EventKey is the key of event id's outbox item.
func EventKey(id string) Key { return Key{PK: EventPrefix + id, SK: "EVENT"} }

// RelayMark records the routes an event was published to. It shares the
// event's partition and expiry, and is a few dozen bytes, so marking costs
// one write unit whatever the event's size.
type RelayMark struct {
	Key
	ID        string   `dynamodbav:"id"`
	Relayed   []string `dynamodbav:"relayed,stringset,omitempty"`
	ExpiresAt int64    `dynamodbav:"expires_at"`
}

// RelayMarkKey is the key of event id's relay mark.
func RelayMarkKey(id string) Key { return Key{PK: EventPrefix + id, SK: "RELAYED"} }

// NewEventItem stores e, expiring after retentionDays.
func NewEventItem(e event.Event, retentionDays int) EventItem {
	return EventItem{
		Key: EventKey(e.ID),
		ID:  e.ID, Type: string(e.Type), Created: e.Created.UTC().Format(time.RFC3339Nano),
		Account: e.Account, Data: string(e.Data),
		ExpiresAt: e.Created.Add(time.Duration(retentionDays) * 24 * time.Hour).Unix(),
	}
}

// Event returns the envelope the item stores.
func (it EventItem) Event() (event.Event, error) {
	created, err := time.Parse(time.RFC3339Nano, it.Created)
	if err != nil {
		return event.Event{}, fmt.Errorf("event %s: created: %w", it.ID, err)
	}
	if !json.Valid([]byte(it.Data)) {
		return event.Event{}, fmt.Errorf("event %s: data is not JSON", it.ID)
	}
	return event.Event{ID: it.ID, Type: event.Type(it.Type), Created: created, Account: it.Account, Data: json.RawMessage(it.Data)}, nil
}

// IsEventKey reports whether a stream record's keys belong to an outbox
// event item (not to its relay mark).
func IsEventKey(keys map[string]events.DynamoDBAttributeValue) bool {
	pk, ok := keys[PK]
	sk, okSK := keys[SK]
	return ok && okSK && pk.DataType() == events.DataTypeString && strings.HasPrefix(pk.String(), EventPrefix) &&
		sk.DataType() == events.DataTypeString && sk.String() == EventKey("").SK
}

// DecodeStreamImage decodes a Lambda stream image into out using the same
// attributevalue rules as the table reads.
func DecodeStreamImage(img map[string]events.DynamoDBAttributeValue, out any) error {
	av, err := FromStreamImage(img)
	if err != nil {
		return err
	}
	return attributevalue.UnmarshalMap(av, out)
}

// FromStreamImage converts a Lambda stream image to SDK attribute values.
func FromStreamImage(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		av, err := fromStreamValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromStreamValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		list := make([]types.AttributeValue, 0, len(v.List()))
		for i, e := range v.List() {
			av, err := fromStreamValue(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			list = append(list, av)
		}
		return &types.AttributeValueMemberL{Value: list}, nil
	case events.DataTypeMap:
		m, err := FromStreamImage(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unsupported stream data type %v", v.DataType())
}
