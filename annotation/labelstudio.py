"""The one door to Label Studio: every call the platform makes to it goes through `LabelStudio`
(its REST API over HTTP, with the platform's own token; stdlib only, so Label Studio's pinned
packages stay out of the platform's virtualenv). Also the labeling config of a benchmark version's
review project, and the reading of an annotation into a review."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from xml.sax.saxutils import quoteattr

IMPORT_BATCH = 2000  # tasks per import request (10,000 text tasks in ~3 s at this size)
REJECT_REASONS = (
    ("incorrect_answer", "Incorrect answer"),
    ("ambiguous", "Ambiguous"),
    ("not_answerable", "Not answerable from the input"),
    ("off_topic", "Off-topic"),
    ("leaks_answer", "Leaks the answer"),
    ("poor_media", "Poor media"),
)


class LabelStudioError(RuntimeError):
    """Label Studio could not be reached, or refused the request; the message says which and why."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def labeling_config(*, image: bool = False, audio: bool = False) -> str:
    """The review form: the sample (question, context, options, reference answer, its image and/or
    recording) and the reviewer's verdict, reject reasons, intent alignment (1-5) and comment.
    Every `$key` it names is in each task's data (empty when the sample has none)."""
    media = ("\n  <Image name=\"image\" value=\"$image\"/>" if image else "") + \
        ("\n  <Audio name=\"audio\" value=\"$audio\"/>" if audio else "")
    reasons = "\n".join(f"    <Choice value={quoteattr(value)} alias={quoteattr(key)}/>" for key, value in REJECT_REASONS)
    return f"""<View>
  <Header value="Question"/>
  <Text name="question" value="$question"/>
  <Text name="context" value="$context"/>{media}
  <Header value="Options"/>
  <Text name="options" value="$options"/>
  <Header value="Reference answer"/>
  <Text name="answer" value="$answer"/>
  <Header value="Verdict"/>
  <Choices name="verdict" toName="question" choice="single" required="true">
    <Choice value="Accept" alias="accept"/>
    <Choice value="Reject" alias="reject"/>
  </Choices>
  <Header value="Why rejected"/>
  <Choices name="reasons" toName="question" choice="multiple">
{reasons}
  </Choices>
  <Header value="Does the sample test what the benchmark is for? (1-5)"/>
  <Rating name="intent" toName="question" maxRating="5"/>
  <TextArea name="comment" toName="question" placeholder="Comment (optional)" rows="2"/>
</View>"""


@dataclass
class Review:
    """One annotation read into the platform's terms."""

    annotation_id: int
    task_id: int
    sample_id: int | None
    annotator_id: int | None
    accepted: bool | None
    reasons: list[str] = field(default_factory=list)
    intent_alignment: int | None = None
    comment: str = ""
    lead_time_s: float | None = None
    updated_by: int | None = None
    created_at: datetime | None = None


_REASON_KEYS = {value: key for key, value in REJECT_REASONS} | {key: key for key, _ in REJECT_REASONS}


def review_from(annotation: dict[str, Any], task: dict[str, Any]) -> Review:
    """Read a Label Studio annotation (its `result` regions) of a task into a Review."""
    verdict: str | None = None
    reasons: list[str] = []
    intent: int | None = None
    comment = ""
    for region in annotation.get("result") or []:
        value = region.get("value") or {}
        name = region.get("from_name")
        if name == "verdict" and value.get("choices"):
            verdict = str(value["choices"][0]).lower()
        elif name == "reasons":
            reasons = [_REASON_KEYS.get(str(c), str(c)) for c in value.get("choices") or []]
        elif name == "intent" and value.get("rating") is not None:
            intent = int(value["rating"])
        elif name == "comment":
            comment = "\n".join(str(t) for t in value.get("text") or [])
    meta = task.get("meta") or {}
    completed_by = annotation.get("completed_by")
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("id")
    return Review(annotation_id=int(annotation["id"]), task_id=int(task["id"]),
                  sample_id=int(meta["sample_id"]) if str(meta.get("sample_id", "")).isdigit() else None,
                  annotator_id=completed_by, accepted=None if verdict is None else verdict == "accept",
                  reasons=reasons, intent_alignment=intent, comment=comment,
                  lead_time_s=annotation.get("lead_time"), updated_by=annotation.get("updated_by"),
                  created_at=parse_time(annotation.get("created_at")))


def parse_time(value: Any) -> datetime | None:
    """Label Studio's ISO timestamps ("2026-11-28T20:47:30.876155Z"), timezone-aware; None when absent."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class LabelStudio:
    """A Label Studio server's REST API, with the platform's token."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 30.0) -> None:
        if not base_url or not api_key:
            raise LabelStudioError("Label Studio is not configured: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body: Any = None, *, query: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Token {self.api_key}", "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode("utf-8", "replace")
            raise LabelStudioError(f"Label Studio refused {method} {path}: HTTP {exc.code} {detail}",
                                   status=exc.code) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise LabelStudioError(f"Label Studio at {self.base_url} cannot be reached: {exc}") from exc
        return json.loads(raw) if raw else None

    def health(self) -> bool:
        try:
            self._call("GET", "/api/projects", query={"page_size": 1})
        except LabelStudioError:
            return False
        return True

    def create_project(self, *, title: str, label_config: str, overlap: int = 1, description: str = "") -> int:
        project = self._call("POST", "/api/projects", {
            "title": title[:50], "description": description, "label_config": label_config,
            "maximum_annotations": max(1, overlap), "show_collab_predictions": False})
        return int(project["id"])

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]], *, batch: int = IMPORT_BATCH) -> list[int]:
        """Tasks ({"data": ..., "meta": ...}) in batches; the new task ids in order."""
        ids: list[int] = []
        for start in range(0, len(tasks), batch):
            reply = self._call("POST", f"/api/projects/{project_id}/import", tasks[start:start + batch],
                               query={"return_task_ids": "true"})
            ids += [int(i) for i in reply.get("task_ids") or []]
        return ids

    def project(self, project_id: int) -> dict[str, Any]:
        return self._call("GET", f"/api/projects/{project_id}")

    def update_project(self, project_id: int, *, overlap: int) -> None:
        self._call("PATCH", f"/api/projects/{project_id}", {"maximum_annotations": max(1, overlap)})

    def tasks(self, project_id: int, *, page_size: int = 500, updated_after: datetime | None = None,
              fields: str = "all") -> list[dict[str, Any]]:
        """Every task of the project with its annotations; with updated_after, only the tasks changed
        since then (an annotation created, updated or deleted bumps its task's updated_at), oldest first."""
        query: dict[str, Any] = {"project": project_id, "fields": fields, "page_size": page_size}
        if updated_after is not None:
            stamp = updated_after.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            query["query"] = json.dumps({
                "filters": {"conjunction": "and", "items": [{"filter": "filter:tasks:updated_at", "operator": "greater",
                                                             "type": "Datetime", "value": stamp}]},
                "ordering": ["tasks:updated_at"]})
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            try:
                reply = self._call("GET", "/api/tasks", query={**query, "page": page})
            except LabelStudioError as exc:
                if exc.status == 404 and page > 1:  # past the last page
                    break
                raise
            batch = reply.get("tasks", []) if isinstance(reply, dict) else reply
            out += batch
            if len(batch) < page_size:
                break
            page += 1
        return out

    def task(self, task_id: int) -> dict[str, Any]:
        """One task with its annotations."""
        return self._call("GET", f"/api/tasks/{task_id}")

    def update_task_data(self, task_id: int, data: dict[str, Any]) -> None:
        self._call("PATCH", f"/api/tasks/{task_id}", {"data": data})

    def delete_tasks(self, project_id: int, task_ids: list[int], *, batch: int = 500) -> int:
        """Delete these tasks, with their annotations, from the project; the number Label Studio deleted.
        Through the data manager's `delete_tasks` action rather than DELETE /api/tasks/{id}: the
        action only touches tasks of the project named (an id of another project's task deletes
        nothing), and an id already gone is simply not counted, so deleting again is harmless."""
        deleted = 0
        for start in range(0, len(task_ids), batch):
            chosen = [int(i) for i in task_ids[start:start + batch]]
            reply = self._call("POST", "/api/dm/actions", {"selectedItems": {"all": False, "included": chosen}},
                               query={"id": "delete_tasks", "project": project_id})
            deleted += int((reply or {}).get("processed_items") or 0)
        return deleted

    def users(self) -> dict[int, str]:
        """Label Studio's users: id -> email."""
        reply = self._call("GET", "/api/users")
        return {int(u["id"]): str(u.get("email") or u.get("username") or f"ls-user-{u['id']}") for u in reply or []}

    def create_annotation(self, task_id: int, result: list[dict[str, Any]], *, lead_time_s: float = 0.0) -> int:
        reply = self._call("POST", f"/api/tasks/{task_id}/annotations", {"result": result, "lead_time": lead_time_s})
        return int(reply["id"])

    def update_annotation(self, annotation_id: int, result: list[dict[str, Any]]) -> None:
        self._call("PATCH", f"/api/annotations/{annotation_id}", {"result": result})

    def delete_annotation(self, annotation_id: int) -> None:
        self._call("DELETE", f"/api/annotations/{annotation_id}")

    def create_webhook(self, project_id: int, url: str, *, headers: dict[str, str] | None = None) -> int:
        """Calls url on each annotation created, updated or deleted. The payload names the task (and
        carries the project's data: the receiver must treat it as secret and keep none of it)."""
        reply = self._call("POST", "/api/webhooks", {
            "project": project_id, "url": url, "send_payload": True, "send_for_all_actions": False,
            "headers": headers or {}, "is_active": True,
            "actions": ["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED"]})
        return int(reply["id"])

    def wait_until_up(self, *, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.health():
            if time.monotonic() > deadline:
                raise LabelStudioError(f"Label Studio at {self.base_url} did not answer within {timeout_s:g} s")
            time.sleep(0.5)


def verdict_result(*, accept: bool, reasons: list[str] = (), intent: int | None = None,
                   comment: str = "") -> list[dict[str, Any]]:
    """An annotation's `result` as the review form writes it (for importing reviews and for tests)."""
    labels = dict(REJECT_REASONS)

    def region(name: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
        return {"from_name": name, "to_name": "question", "type": kind, "value": value}

    result = [region("verdict", "choices", {"choices": ["Accept" if accept else "Reject"]})]
    if reasons:
        result.append(region("reasons", "choices", {"choices": [labels[r] for r in reasons]}))
    if intent is not None:
        result.append(region("intent", "rating", {"rating": intent}))
    if comment:
        result.append(region("comment", "textarea", {"text": [comment]}))
    return result
