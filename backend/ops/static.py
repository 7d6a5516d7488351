"""WhiteNoise, async-capable.

WhiteNoise's Django middleware is sync-only, and one sync-only middleware makes Django run the
whole chain in its single sync thread under ASGI: every async view (the chat stream) would
then wait in line for that thread. This subclass serves static files the same way, but keeps
the chain async: file look-ups and responses run in a worker thread, everything else awaits
the next middleware on the event loop.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, *args, **kwargs):
        super().__init__(get_response, *args, **kwargs)
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self._async:
            return self.__acall__(request)
        return super().__call__(request)

    def _static_file(self, path: str):
        return self.find_file(path) if self.autorefresh else self.files.get(path)

    async def __acall__(self, request):
        if self.autorefresh:  # finders touch the disk
            static_file = await sync_to_async(self._static_file, thread_sensitive=False)(
                request.path_info
            )
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)
