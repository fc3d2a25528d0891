"""A chat-completions server on 127.0.0.1 for tests: the OpenAI protocol's shapes, scripted answers, bad modes.

::

    server = ChatServer(lambda request: "Four women were found dead [1].").start()
    endpoint = Endpoint(server.base_url, "scripted")
    server.mode = "error"   # or: "stall", "drip", "oversize", "garbage", "no-choices", "answer"
    server.stop()

``POST /v1/chat/completions`` reads the request as a real server does (JSON with ``model`` and
``messages``; 400 with an OpenAI error object when they are missing, 401 when ``api_key`` is set
and the Bearer token differs) and answers in the same JSON shape as llama.cpp's and OpenAI's
servers. ``answer`` is called with the parsed request and returns the assistant's text. Every
parsed request is kept in ``server.chats``. The modes:

==============  ====================================================================
``answer``      200, ``choices[0].message.content`` = ``answer(request)``
``error``       500 with ``{"error": {"message", "type": "server_error"}}``
``stall``       answers nothing until the client goes away or the server stops (max 60 s)
``drip``        200 headers, then the answer one byte a second (chunked)
``oversize``    200, a valid answer of 2 MB
``garbage``     200, a body that is not JSON
``no-choices``  200, JSON without ``choices``
==============  ====================================================================
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.httpserver import MAX_LOOP_S, LocalHTTPServer, Reply, Request

__all__ = ["ChatServer", "completion"]

Answer = Callable[[dict[str, Any]], str]


def completion(content: str, model: str = "scripted") -> dict[str, Any]:
    """A chat-completions answer as llama.cpp's server and OpenAI send it."""
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _error(status: int, message: str, kind: str) -> Reply:
    body = json.dumps({"error": {"message": message, "type": kind, "code": status}})
    return Reply(status=status, body=body, content_type="application/json")


class ChatServer:
    """A started-on-demand chat-completions server; ``mode`` and ``answer`` may change between requests."""

    def __init__(self, answer: Answer, *, api_key: str = "") -> None:
        self.answer = answer
        self.api_key = api_key
        self.mode = "answer"
        self.chats: list[dict[str, Any]] = []
        self._http = LocalHTTPServer()
        self._http.add("/v1/chat/completions", self._serve)

    @property
    def base_url(self) -> str:
        return self._http.url("/v1")

    def start(self) -> ChatServer:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def _serve(self, request: Request) -> Reply | None:
        if request.method != "POST":
            return _error(405, "use POST", "invalid_request_error")
        if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid api key", "authentication_error")
        try:
            chat = json.loads(request.body)
            messages = chat["messages"]
            model = chat["model"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "body must be JSON with model and messages", "invalid_request_error")
        if not isinstance(messages, list) or not all(isinstance(m, dict) and "content" in m for m in messages):
            return _error(400, "messages must be a list of {role, content}", "invalid_request_error")
        self.chats.append(chat)
        mode = self.mode
        if mode == "error":
            return _error(500, "model crashed", "server_error")
        if mode == "stall":
            request.stopping.wait(MAX_LOOP_S)
            return None
        if mode == "garbage":
            return Reply(body="<html>502 Bad Gateway</html>{", content_type="application/json")
        if mode == "no-choices":
            body = json.dumps({"object": "chat.completion", "model": model})
            return Reply(body=body, content_type="application/json")
        content = "x" * 2_000_000 if mode == "oversize" else self.answer(chat)
        body = json.dumps(completion(content, model)).encode()
        if mode == "drip":
            self._drip(request, body)
            return None
        return Reply(body=body, content_type="application/json")

    @staticmethod
    def _drip(request: Request, body: bytes) -> None:
        handler = request.handler
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        started = time.monotonic()
        try:
            for byte in body:
                if request.stopping.is_set() or time.monotonic() - started > MAX_LOOP_S:
                    break
                handler.wfile.write(b"1\r\n" + bytes([byte]) + b"\r\n")
                handler.wfile.flush()
                request.stopping.wait(1.0)
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client gave up: what this mode is for
            pass
