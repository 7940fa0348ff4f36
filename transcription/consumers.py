from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from transcription.events import job_group_name, job_state
from transcription.models import Job

# Close code sent to a client that may not watch the job (4000-4999 are for applications).
CLOSE_FORBIDDEN = 4403


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    """Pushes a job's progress to its owner: the current state at once, then every change."""

    async def connect(self) -> None:
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        user = self.scope.get("user")
        job = await self._owned_job(user, job_id)
        if job is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = job_group_name(job.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # Read after joining the group, so no change can fall between the two.
        await self.send_json(await self._state(job.id))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def job_progress(self, event: dict) -> None:
        await self.send_json(event["state"])

    @database_sync_to_async
    def _owned_job(self, user, job_id) -> Job | None:
        if user is None or not user.is_authenticated:
            return None
        return Job.objects.filter(id=job_id, owner=user).first()

    @database_sync_to_async
    def _state(self, job_id) -> dict:
        return job_state(Job.objects.get(id=job_id))
