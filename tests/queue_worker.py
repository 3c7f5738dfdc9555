"""One worker, in this process, over the real ORM broker: takes the oldest waiting task of the queue
(as a qcluster with one worker does, without its prefetch), runs it and acknowledges it, until the
queue is empty. For tests of what order queued work runs in, without starting a cluster."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage


def drain_queue(*, limit: int = 500) -> list[tuple[str, tuple]]:
    """Run the queue's tasks oldest first until none waits; the (function, args) of each, in order."""
    broker = get_broker()
    ran: list[tuple[str, tuple]] = []
    while len(ran) < limit:
        row = OrmQ.objects.filter(key=broker.list_key, lock__lte=timezone.now()).order_by("id").first()
        if row is None:
            return ran
        if not OrmQ.objects.filter(pk=row.pk, lock=row.lock).update(
                lock=timezone.now() + timedelta(seconds=Conf.RETRY)):
            continue
        task = SignedPackage.loads(row.payload)
        import_string(task["func"])(*task["args"], **task["kwargs"])
        broker.acknowledge(row.pk)
        ran.append((task["func"], tuple(task["args"])))
    raise AssertionError(f"the queue did not empty after {limit} tasks: {ran[-5:]}")
