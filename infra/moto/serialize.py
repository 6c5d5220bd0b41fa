# Runs moto_server with its DynamoDB and DynamoDB Streams handlers
# serialised. moto's TransactWriteItems deep-copies the table to roll back,
# and a concurrent write to the same table makes that copy fail with a 500
# ("dictionary changed size during iteration"); concurrent stream reads can
# likewise see a half-written table. DynamoDB itself is linearizable per
# item, so serialising the emulator's DynamoDB requests changes nothing a
# client can observe except that the emulator stops failing. Other services
# (SQS long polls especially) keep their own threads.
#
# The same rollback copy also copied every stream record ever written, so
# each transaction cost more than the last (minutes and gigabytes over a
# test package); stream records are immutable, so the copy shares them.
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


from moto.dynamodb.models.table import StreamShard


def _shard_deepcopy(self, memo):
    # Stream records are never changed once written: a transaction's
    # rollback copy needs a new list, not copies of every record.
    new = StreamShard.__new__(StreamShard)
    memo[id(self)] = new
    for k, v in self.__dict__.items():
        new.__dict__[k] = list(v) if k == "items" else copy.deepcopy(v, memo)
    return new


StreamShard.__deepcopy__ = _shard_deepcopy

_serialised(DynamoHandler)
_serialised(DynamoDBStreamsHandler)

from moto.server import main  # noqa: E402

main(sys.argv[1:])
