"""The custom actions as an action endpoint in this process: rasa_sdk's executor, called directly
instead of over HTTP (the Rasa server's own actions by default, and dry runs' and tests')."""
from __future__ import annotations

import json
from typing import Any, Optional

from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException


class InProcessActions(EndpointConfig):
    """An action endpoint that runs rasa_sdk's executor directly instead of over HTTP: the Rasa
    server's own (one per Sanic worker, see bot.rasa_runtime), dry runs' and tests'.

    The call goes in as Rasa built it (no JSON round trip: the tracker and the domain are read,
    never changed). The answer comes back as JSON would carry it (a copy, with JSON's types), and
    Rasa does not check it against its schema (`in_process`): it is this project's own code, in
    this process, and checking cost about 1 ms an action. Errors come back exactly as the action
    server would send them, so Rasa's form rejection (HTTP 400) works the same way; any other
    exception is raised as it is, so a store that cannot be reached is still told apart.
    """

    in_process = True  # bot.rasa_runtime skips the response schema check for this endpoint

    def __init__(self, package: str = "bot.actions") -> None:
        super().__init__(url=f"inprocess://{package}")
        self.package = package
        self.executor = ActionExecutor()
        self.executor.register_package(package)

    async def request(self, method: str = "post", subpath: Optional[str] = None,
                      content_type: Optional[str] = "application/json", compress: bool = False,
                      **kwargs: Any) -> Optional[Any]:
        try:
            answer = await self.executor.run(kwargs["json"])
        except ActionExecutionRejection as error:
            body = {"action_name": error.action_name, "error": error.message}
            raise ClientResponseError(400, "rejected", json.dumps(body)) from error
        except ActionNotFoundException as error:
            body = {"action_name": error.action_name, "error": error.message}
            raise ClientResponseError(404, "not found", json.dumps(body)) from error
        return json.loads(json.dumps(answer))  # ~15 µs: the types and isolation of the HTTP answer
