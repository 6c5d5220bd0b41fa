# Runs moto_server with two fixes to its DynamoDB emulation.
#
# Its DynamoDB and DynamoDB Streams handlers are serialised. moto is not
# thread-safe there: a write racing a transaction fails with a 500
# ("dictionary changed size during iteration"), and a stream read can see
# a half-written table. DynamoDB itself is linearizable per item, so
# serialising the emulator's DynamoDB requests changes nothing a client can
# observe except that the emulator stops failing. Other services (SQS long
# polls especially) keep their own threads.
#
# TransactWriteItems rolls back with an undo log instead of moto's copies
# of whole tables, Query reads only what it needs, and Scan sorts the table
# once per change rather than once per page; see transact_write_items,
# query and all_items below for why.
import copy
import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

_lock = threading.RLock()


def _serialised(cls):
    original = cls.call_action

    def call_action(self):
        with _lock:
            return original(self)

    cls.call_action = call_action


import moto.dynamodb.models as _models  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: E402
from moto.dynamodb.models.table import Table  # noqa: E402


class _NoTableCopy:
    """Stands in for the copy module inside moto's DynamoDB backend while
    our transact_write_items runs: the rollback copy of a table is the table
    itself, and the undo log below restores what the transaction touched."""

    active = False

    def deepcopy(self, x, memo=None):
        if self.active and memo is None and isinstance(x, Table):
            return x
        return copy.deepcopy(x, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


_no_copy = _NoTableCopy()
_models.copy = _no_copy
_transact_write_items = DynamoDBBackend.transact_write_items


def _touched(backend, transact_items):
    """The (table, hash, range) of every item the transaction may write."""
    out = []
    for entry in transact_items:
        for op_type, op in entry.items():
            table = backend.tables.get(op.get("TableName"))
            attrs = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or op_type == "ConditionCheck" or not attrs:
                continue
            try:
                h = DynamoType(attrs[table.hash_key_attr])
                r = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
            except (KeyError, TypeError):
                continue  # moto refuses the transaction before any write
            out.append((table, h, r))
    return out


def transact_write_items(self, transact_items):
    """moto rolls a cancelled transaction back by putting in place deep
    copies of the tables, taken before it, once per item. That made every
    transaction cost a copy of the whole table per item (seconds per order
    once a test's table held thousands of items, with every other DynamoDB
    call waiting on the lock above), and the copies carried new
    StreamShard objects: every shard iterator handed out before held the
    old shard, which no write reached again, so a stream reader following
    NextShardIterator saw nothing after the first cancelled transaction.

    Here the transaction runs on the tables themselves with an undo log:
    the items it may write, copied before, are put back on cancellation,
    and the stream loses the records of the cancelled writes, as the copy
    did. DynamoDB's shards do not change when a transaction is cancelled."""
    undo = []
    for table, h, r in _touched(self, transact_items):
        prior = table.get_item(h, r)
        undo.append((table, h, r, copy.deepcopy(prior)))
    streams = {id(t): (t.stream_shard, len(t.stream_shard.items))
               for t, _, _, _ in undo if t.stream_shard is not None}
    _no_copy.active = True
    try:
        return _transact_write_items(self, transact_items)
    except BaseException:
        for table, h, r, prior in reversed(undo):
            _restore(table, h, r, prior)
        for shard, n in streams.values():
            del shard.items[n:]
        raise
    finally:
        _no_copy.active = False


def _restore(table, h, r, prior):
    table._sorted = None
    if r is None:
        if prior is None:
            table.items.pop(h, None)
        else:
            table.items[h] = prior
        return
    if prior is None:
        table.items.get(h, {}).pop(r, None)
        if h in table.items and not table.items[h]:
            del table.items[h]
    else:
        table.items[h][r] = prior


DynamoDBBackend.transact_write_items = transact_write_items

_all_items = Table.all_items
_query = Table.query
_INDEX = object()  # the scope of an index query: every item


def all_items(self):
    scope = getattr(self, "_query_scope", None)
    if scope is None:
        # A Scan sorts the whole table for every page it answers; the order
        # only changes when an item is put or deleted, so it is kept until
        # then (updates change items in place, never their keys).
        if getattr(self, "_sorted", None) is None:
            self._sorted = _all_items(self)
        return list(self._sorted)
    if scope is _INDEX:
        # Any order: the query sorts what matches by the index's keys.
        if self.range_key_attr:
            return [i for part in self.items.values() for i in part.values()]
        return list(self.items.values())
    part = self.items.get(scope)
    if part is None:
        return []
    return list(part.values()) if self.range_key_attr else [part]


def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
          scan_index_forward, projection_expressions, index_name=None, *args, **kwargs):
    """moto answers every Query by sorting every item of the table, and
    then keeps those of the partition (or the index key) asked for: tens of
    milliseconds per query once a test's table holds thousands of items,
    with every other DynamoDB call waiting on the lock above. A table query
    needs only its partition, and an index query only the items, unsorted,
    since it sorts the ones that match. Results are unchanged."""
    self._query_scope = _INDEX if index_name else hash_key
    try:
        return _query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                      scan_index_forward, projection_expressions, index_name, *args, **kwargs)
    finally:
        self._query_scope = None


def _invalidating(method):
    def wrapper(self, *args, **kwargs):
        self._sorted = None
        return method(self, *args, **kwargs)

    return wrapper


Table.all_items = all_items
Table.query = query
Table.put_item = _invalidating(Table.put_item)
Table.delete_item = _invalidating(Table.delete_item)

import hashlib  # noqa: E402
import json as _json  # noqa: E402
import time as _time  # noqa: E402

from moto.dynamodb.exceptions import MockValidationException  # noqa: E402

_handler_transact_write_items = DynamoHandler.transact_write_items
_tokens = {}  # ClientRequestToken -> (monotonic time, digest of TransactItems)
_TOKEN_TTL = 600  # DynamoDB keeps a token for 10 minutes


class _IdempotentParameterMismatch(MockValidationException):
    error_type = "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"

    def __init__(self):
        super().__init__("The request uses the same client token as a previous, but non-identical request.")
        self.error_type = _IdempotentParameterMismatch.error_type


def handler_transact_write_items(self):
    """DynamoDB answers a TransactWriteItems retried with the same
    ClientRequestToken (the SDK fills one in and keeps it across its
    retries) as it answered the first, without writing again; moto ignores
    the token. A response lost on the way back (a reset connection under
    load) made the SDK's retry fail the conditions the first attempt had
    just satisfied: a 409 for a change that had succeeded."""
    token = self.body.get("ClientRequestToken")
    if not token:
        return _handler_transact_write_items(self)
    digest = hashlib.sha256(_json.dumps(self.body["TransactItems"], sort_keys=True).encode()).hexdigest()
    now = _time.monotonic()
    for t in [t for t, (at, _) in _tokens.items() if now - at > _TOKEN_TTL]:
        del _tokens[t]
    seen = _tokens.get(token)
    if seen is not None:
        if seen[1] != digest:
            raise _IdempotentParameterMismatch()
        return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
    result = _handler_transact_write_items(self)
    _tokens[token] = (now, digest)
    return result


DynamoHandler.transact_write_items = handler_transact_write_items

_serialised(DynamoHandler)
_serialised(DynamoDBStreamsHandler)

import calendar  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

from moto.core.responses import ActionResult  # noqa: E402


class _NotPlain(Exception):
    pass


def _plain(v):
    """v as the JSON protocol puts it on the wire, for values that need no
    shape to be written: moto's DynamoDB results are already in wire form
    (attribute values as {"S": ...}), but for timestamps (epoch seconds,
    truncated to milliseconds) and members left unset."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if x is not None}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, datetime.datetime):
        return calendar.timegm(v.timetuple()) + (v.microsecond // 1000) / 1000.0
    raise _NotPlain(type(v).__name__)


_CHECK = os.environ.get("MERCATO_MOTO_CHECK_SERIALIZER") == "1"


def _fast_serialized(cls):
    """moto writes every response by walking the operation's output shape
    member by member, which cost a third of the emulator's time under load
    (GetRecords, Query and Scan answers hold hundreds of attribute values).
    For the two JSON services here, a result made only of JSON values is
    written as it is. Anything else (an error, a float, bytes) takes moto's
    own path. MERCATO_MOTO_CHECK_SERIALIZER=1 runs both and reports any
    difference on stderr."""
    original = cls.serialized

    def serialized(self, action_result):
        r = action_result.result
        if type(action_result) is not ActionResult or not isinstance(r, dict):
            return original(self, action_result)
        try:
            body = json.dumps(_plain(r), separators=(",", ":"))
        except _NotPlain:
            return original(self, action_result)
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        headers.update(self.response_headers)
        if _CHECK:
            status, want_headers, want = original(self, action_result)
            if status != 200 or json.loads(want) != json.loads(body):
                sys.stderr.write("SERIALIZER MISMATCH %s: %s\nfast: %s\n" % (self._get_action(), want, body))
        return 200, headers, body

    cls.serialized = serialized


_fast_serialized(DynamoHandler)
_fast_serialized(DynamoDBStreamsHandler)

from moto.server import main  # noqa: E402

main(sys.argv[1:])
