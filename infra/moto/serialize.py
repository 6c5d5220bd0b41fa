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
# of whole tables, Query reads only what it needs (the part of a partition
# its sort-key condition can match, the part of an index key's items its
# range condition, start key and limit can reach), and Scan
# sorts the table once per change rather than once per page and starts a
# page at its start key; see transact_write_items, query, scan and
# all_items below for why.
import bisect
import copy
import inspect
import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

_lock = threading.RLock()
# DynamoDB requests that may write so far: for a table without a stream, an
# index query's cache of the items by index key (_by_index below) is of one
# generation, since an update changes an item's index keys in place.
_generation = [0]
_READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}


def _serialised(cls):
    original = cls.call_action

    def call_action(self):
        with _lock:
            if cls is DynamoHandler and not _reads(self._get_action()):
                _generation[0] += 1
            return original(self)

    cls.call_action = call_action


def _reads(action):
    return action in _READS or action.startswith(("Describe", "List"))


import moto.dynamodb.models as _models  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: E402
import os  # noqa: E402

from moto.dynamodb.models.table import StreamShard, Table  # noqa: E402


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
    table._by_index = None
    table.__dict__.get("_by_range", {}).pop(h, None)
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
    if isinstance(scope, list):
        return scope
    if scope is None:
        # A Scan sorts the whole table for every page it answers; the order
        # only changes when an item is put or deleted, so it is kept until
        # then (updates change items in place, never their keys).
        if getattr(self, "_sorted", None) is None:
            self._sorted = _all_items(self)
        return list(self._sorted)
    if scope is _INDEX:
        # Any order: the query sorts what matches by the index's keys.
        return _every_item(self)
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
    if index_name:
        keyed = _by_index(self, index_name, hash_key)
        if keyed is not None:
            group, index = keyed
            self._query_scope = list(group.values())
            narrowed = _index_narrowed(group, index, range_comparison, range_objs, limit, exclusive_start_key,
                                       scan_index_forward, kwargs)
            if narrowed is not None:
                if _CHECK_INDEX:
                    return _checked_query(self, narrowed, hash_key, range_comparison, range_objs, limit,
                                          exclusive_start_key, scan_index_forward, projection_expressions,
                                          index_name, *args, **kwargs)
                self._query_scope = narrowed
    elif self.range_key_attr:
        narrowed = _narrowed(self, hash_key, range_comparison, range_objs, exclusive_start_key, scan_index_forward)
        if narrowed is not None:
            self._query_scope = narrowed
    try:
        return _query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                      scan_index_forward, projection_expressions, index_name, *args, **kwargs)
    finally:
        self._query_scope = None


def _by_range(table, h):
    """The partition's items sorted by sort key, with the keys' values, kept
    until an item of the partition is put or deleted (updates change items
    in place, never their keys); None when its sort keys are of several
    types, which only moto's own comparisons order."""
    parts = table.__dict__.setdefault("_by_range", {})
    got = parts.get(h)
    if got is None:
        items = list(table.items.get(h, {}).values())
        types = {i.range_key.type for i in items}
        if len(types) > 1:
            return None
        items.sort(key=lambda i: i.range_key.cast_value)
        got = parts[h] = ([i.range_key.cast_value for i in items], items, types.pop() if types else None)
    return got


def _by_index(table, name, h):
    """The items whose key in index name is h, from the table's items
    grouped by that key: moto compares every item of the table with the key
    on every index query (milliseconds per query at a hundred thousand
    items, every other call waiting), with the index. None leaves it to
    moto (an index unknown, or of a composite key)."""
    index = next((i for i in table.all_indexes() if i.name == name), None)
    if index is None:
        return None
    hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    if len(hashes) != 1:
        return None
    groups = _index_groups(table, name, hashes[0])
    key = _group_key(h)
    if key is None:
        return None
    group = groups.get(key, _EMPTY)
    if _CHECK_INDEX:
        _check_group(table, hashes[0], key, list(group.values()))
    return group, index


class _Group(dict):
    """The items of one index key, by table key, with their view sorted by
    the index's range key (_range_view), dropped whenever the group changes."""

    __slots__ = ("view",)

    def __init__(self):
        super().__init__()
        self.view = None


_EMPTY = _Group()


def _index_groups(table, name, attr):
    """The table's items grouped by their key in index name. A table with a
    stream keeps its groups up to date write by write (_regroup): every
    write of an item reaches its stream, so a query after a write costs what
    it reads, not a regrouping of the whole table (over 100,000 items in
    the scale model's 10·H, where writes and index reads interleave). A table without one regroups once per
    generation of writes. moto still compares each item it is given with
    the key, so an item left in a group it no longer belongs to is dropped
    there; one missing from its group would be lost, which is why any other
    way of changing items (_restore) drops the groups."""
    stamp = None if table.stream_shard is not None else _generation[0]
    cache = table.__dict__.get("_by_index")
    if cache is None or cache[0] != stamp:
        cache = table._by_index = (stamp, {})
    got = cache[1].get(name)
    if got is None:
        got = cache[1][name] = (attr, {})
        for item in _every_item(table):
            _group_put(attr, got[1], item)
    return got[1]


def _group_key(v):
    """An attribute value as a dict key: its raw value (hashing a DynamoType
    walks its type checks); None for a type no index key has."""
    if v is None:
        return None
    if v.type in ("S", "B"):
        return (v.type, v.value)
    if v.type == "N":
        return (v.type, v.cast_value)
    return None


def _item_key(item):
    return (_group_key(item.hash_key), _group_key(item.range_key) if item.range_key is not None else None)


def _group_put(attr, groups, item):
    key = _group_key(item.attrs.get(attr))
    if key is None:
        return
    group = groups.get(key)
    if group is None:
        group = groups[key] = _Group()
    group[_item_key(item)] = item
    group.view = None


def _group_drop(attr, groups, item):
    key = _group_key(item.attrs.get(attr))
    group = groups.get(key)
    if group is None:
        return
    group.pop(_item_key(item), None)
    group.view = None
    if not group:
        del groups[key]


def _regroup(shard, old, new):
    """Moves an item between its index groups as moto writes its stream
    record: old is the item before the write (a copy, for an update made in
    place), new the item the table now holds."""
    cache = shard.table.__dict__.get("_by_index")
    if cache is None or cache[0] is not None:
        return
    for attr, groups in cache[1].values():
        if old is not None:
            _group_drop(attr, groups, old)
        if new is not None:
            _group_put(attr, groups, new)


_CHECK_INDEX = os.environ.get("MERCATO_MOTO_CHECK_INDEX") == "1"


def _check_group(table, attr, key, got):
    """MERCATO_MOTO_CHECK_INDEX=1: reports on stderr an index query whose
    group misses an item that a regrouping of the whole table finds."""
    want = {_item_key(i) for i in _every_item(table) if _group_key(i.attrs.get(attr)) == key}
    missing = want - {_item_key(i) for i in got}
    if missing:
        sys.stderr.write("INDEX GROUP MISMATCH %s %s=%s: missing %s\n" % (table.name, attr, key, sorted(missing)[:5]))


_stream_add = StreamShard.add


def _stream_add_regrouped(self, old, new):
    _stream_add(self, old, new)
    _regroup(self, old, new)


StreamShard.add = _stream_add_regrouped


def _every_item(table):
    if table.range_key_attr:
        return [i for part in table.items.values() for i in part.values()]
    return list(table.items.values())


def _narrowed(table, h, comparison, objs, start, forward):
    """The items of partition h that can match the sort key condition and
    come after the exclusive start key, found by bisection in the sorted
    partition: moto compares every item of the partition with the condition
    and the start key on every page, which made each query of a partition of
    thousands of items (an invoice's lines) cost milliseconds while every
    other call waited. moto still applies the condition and the start key to
    what is left, so the answer is unchanged; None leaves it all to moto."""
    got = _by_range(table, h)
    if got is None:
        return None
    keys, items, kind = got
    bounds = _bounds(keys, kind, comparison, objs)
    if bounds is None:
        return None
    lo, hi = bounds
    if start and table.range_key_attr in start:
        s = DynamoType(start[table.range_key_attr])
        if s.type != kind:
            return None
        if forward is False:
            hi = min(hi, bisect.bisect_left(keys, s.cast_value))
        else:
            lo = max(lo, bisect.bisect_right(keys, s.cast_value))
    return items[lo:max(lo, hi)]


def _bounds(keys, kind, comparison, objs):
    """The slice [lo, hi) of the sorted sort key values keys (all of type
    kind) that can match the condition; None for a condition that is not
    bisected here."""
    lo, hi = 0, len(keys)
    if not comparison:
        return lo, hi
    if any(o.type != kind for o in objs):
        return None
    v = [o.cast_value for o in objs]
    if comparison in ("=", "EQ"):
        return bisect.bisect_left(keys, v[0]), bisect.bisect_right(keys, v[0])
    if comparison in ("<", "LT"):
        return lo, bisect.bisect_left(keys, v[0])
    if comparison in ("<=", "LE"):
        return lo, bisect.bisect_right(keys, v[0])
    if comparison in (">", "GT"):
        return bisect.bisect_right(keys, v[0]), hi
    if comparison in (">=", "GE"):
        return bisect.bisect_left(keys, v[0]), hi
    if comparison == "BETWEEN":
        return bisect.bisect_left(keys, v[0]), bisect.bisect_right(keys, v[1])
    if comparison == "BEGINS_WITH" and isinstance(v[0], str):
        lo = hi = bisect.bisect_left(keys, v[0])
        while hi < len(keys) and keys[hi].startswith(v[0]):
            hi += 1
        return lo, hi
    return None


def _range_view(group, attr):
    """The group's items that have the index range key attr, sorted by its
    value, with the values and their type; None when they are of several
    types, which only moto's own comparisons order."""
    if group.view is None:
        items = [i for i in group.values() if i.attrs.get(attr) is not None]
        types = {i.attrs[attr].type for i in items}
        if len(types) > 1:
            return None
        items.sort(key=lambda i: i.attrs[attr].cast_value)
        group.view = ([i.attrs[attr].cast_value for i in items], items, types.pop() if types else None)
    return group.view


_QUERY_KWARGS = {"consistent_read", "filter_expression", "hash_key_conditions", "range_key_conditions"}


def _index_narrowed(group, index, comparison, objs, limit, start, forward, kwargs):
    """The items of an index key's group that the page can read: those of
    the range key condition, from the exclusive start key's range value on
    (ties with it included: moto orders them by the table's keys and finds
    the start key among them), and, given a Limit, no more than limit + 1
    past those ties, plus the ties of the last one kept. moto compared every
    item of the group with the key, sorted them all and walked them to the
    start key on every page: 28 ms a page for groups of a few hundred items.
    moto still does all of that to what is left, so the answer (items,
    ScannedCount, LastEvaluatedKey) is unchanged; None leaves the group to
    it (an index without exactly one range key, a condition of another type
    than its items' keys, a QueryFilter, an argument not known here)."""
    ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if len(ranges) != 1 or set(kwargs) - _QUERY_KWARGS:
        return None
    attr = ranges[0]
    conditions = kwargs.get("range_key_conditions") or []
    if len(conditions) > 1 or any(c[0] != attr for c in conditions):
        return None
    view = _range_view(group, attr)
    if view is None:
        return None
    keys, items, kind = view
    bounds = _bounds(keys, kind, comparison, objs)
    if bounds is None:
        return None
    lo, hi = bounds
    # moto sets LastEvaluatedKey when a page is full and one more item
    # follows it, whether or not that item meets the condition: keep one.
    if forward is False:
        lo = max(0, lo - 1)
    else:
        hi = min(len(keys), hi + 1)
    ties = 0
    if start:
        if attr not in start:
            return None
        s = DynamoType(start[attr])
        if s.type != kind:
            return None
        first, last = bisect.bisect_left(keys, s.cast_value), bisect.bisect_right(keys, s.cast_value)
        if forward is False:
            hi = min(hi, last)
            ties = max(0, hi - max(lo, first))
        else:
            lo = max(lo, first)
            ties = max(0, min(hi, last) - lo)
    if limit and lo < hi:
        n = ties + limit + 1
        if hi - lo > n and forward is False:
            lo = max(lo, bisect.bisect_left(keys, keys[hi - n]))
        elif hi - lo > n:
            hi = min(hi, bisect.bisect_right(keys, keys[lo + n - 1]))
    return items[lo:max(lo, hi)]


def _checked_query(table, narrowed, *args, **kwargs):
    """MERCATO_MOTO_CHECK_INDEX=1: answers an index query from the whole
    group, as moto would, and reports on stderr any difference with the
    answer from the narrowed items."""
    try:
        want = _query(table, *args, **kwargs)
        table._query_scope = narrowed
        got = _query(table, *args, **kwargs)
    finally:
        table._query_scope = None
    if _answer(want) != _answer(got):
        sys.stderr.write("INDEX QUERY MISMATCH %s %s: moto %s\nnarrowed %s\n" % (
            table.name, args[7], _answer(want), _answer(got)))
    return got


def _answer(result):
    items, scanned, last = result
    return ([i.to_json() for i in items], scanned,
            None if last is None else {k: v.to_json() for k, v in last.items()})


def _invalidating(method, partition):
    def wrapper(self, *args, **kwargs):
        self._sorted = None
        out = method(self, *args, **kwargs)
        self.__dict__.get("_by_range", {}).pop(partition(out, *args), None)
        return out

    return wrapper


_scan = Table.scan


def scan(self, *args, **kwargs):
    """moto answers a Scan page after the first by comparing every item
    of the table before the page's start key with it: a whole scan of N
    items cost N²/page comparisons (minutes at a hundred thousand items).
    The page starts here at the start key, found by bisection in the
    table's order; moto still applies the start key to what is left."""
    call = inspect.signature(_scan).bind(self, *args, **kwargs)
    start = call.arguments.get("exclusive_start_key")
    if not start or call.arguments.get("index_name") or call.arguments.get("segments", (None, None)) != (None, None):
        return _scan(self, *args, **kwargs)
    after = _scan_after(self, start)
    if after is None:
        return _scan(self, *args, **kwargs)
    self._query_scope = after
    try:
        return _scan(self, *args, **kwargs)
    finally:
        self._query_scope = None


def _scan_after(table, start):
    """The items of the table after start in a Scan's order; None when the
    keys' types do not order by their values alone."""
    if getattr(table, "_sorted", None) is None:
        table._sorted = _all_items(table)
    cached = table.__dict__.get("_sorted_keys")
    if cached is None or cached[0] is not table._sorted:
        def key(i):
            return (i.hash_key.cast_value, i.range_key.cast_value if table.range_key_attr else None)
        cached = table._sorted_keys = (table._sorted, [key(i) for i in table._sorted])
    try:
        h = DynamoType(start[table.hash_key_attr]).cast_value
        r = DynamoType(start[table.range_key_attr]).cast_value if table.range_key_attr else None
        return table._sorted[bisect.bisect_right(cached[1], (h, r)):]
    except (KeyError, TypeError):
        return None


Table.all_items = all_items
Table.query = query
Table.scan = scan
Table.put_item = _invalidating(Table.put_item, lambda item, *_, **__: item.hash_key)
Table.delete_item = _invalidating(Table.delete_item, lambda _, *args, **kwargs: args[0] if args else kwargs.get("hash_key"))

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

import math  # noqa: E402

from moto.core.responses import ActionResult, get_service_model  # noqa: E402
from moto.dynamodb.responses import DynamoResult  # noqa: E402

# The results written as they are: DynamoResult is moto's for the DynamoDB
# item operations (GetItem, Query, PutItem, ...), its items already in wire
# form; a PaginatedResult or an EmptyResult takes moto's path.
_PLAIN_RESULTS = (ActionResult, DynamoResult)


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
    if isinstance(v, float) and math.isfinite(v):
        return v
    if isinstance(v, datetime.datetime):
        return calendar.timegm(v.timetuple()) + (v.microsecond // 1000) / 1000.0
    raise _NotPlain(type(v).__name__)


_CHECK = os.environ.get("MERCATO_MOTO_CHECK_SERIALIZER") == "1"


_members = {}


def _output_members(handler):
    """The members of the operation's output shape, which are all moto's
    serializer writes (moto's DeleteItem result also holds a
    ConsumedCapacityUnits that no shape has); None when the operation is
    unknown, which moto's path answers."""
    key = (handler.boto3_service_name, handler._get_action())
    if key not in _members:
        try:
            shape = get_service_model(key[0]).operation_model(key[1]).output_shape
            _members[key] = frozenset(shape.members) if shape is not None else frozenset()
        except Exception:
            _members[key] = None
    return _members[key]


def _fast_serialized(cls):
    """moto writes every response by walking the operation's output shape
    member by member, which cost a third of the emulator's time under load
    (GetRecords, Query and Scan answers hold hundreds of attribute values).
    For the two JSON services here, a result made only of JSON values is
    written as it is. Anything else (an error, a float that is not finite,
    bytes) takes moto's own path. MERCATO_MOTO_CHECK_SERIALIZER=1 runs both
    and reports any difference on stderr."""
    original = cls.serialized

    def serialized(self, action_result):
        r = action_result.result
        if type(action_result) not in _PLAIN_RESULTS or not isinstance(r, dict):
            return original(self, action_result)
        members = _output_members(self)
        if members is None:
            return original(self, action_result)
        try:
            body = json.dumps(_plain({k: v for k, v in r.items() if k in members}), separators=(",", ":"))
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
