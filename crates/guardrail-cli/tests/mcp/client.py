"""A real MCP client (the official Python SDK) for the MCP proxy's tests.

Reads a JSON plan on standard input: {"command": ..., "args": [...],
"env": {...}, "calls": [{"tool": ..., "arguments": {...}}]}; starts the
server command over stdio (or, given "url" and "token", connects over
Streamable HTTP with that bearer token), initializes, lists the tools,
makes the calls in order, and prints one JSON object: {"tools": [names],
"results": [{"is_error": bool, "text": "..."} or {"exception": "..."}]}.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main(plan):
    if "url" in plan:
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        headers = {"Authorization": "Bearer " + plan["token"]} if plan.get("token") else {}
        async with create_mcp_http_client(headers=headers) as http:
            async with streamable_http_client(plan["url"], http_client=http) as streams:
                return await session_of(plan, streams[0], streams[1])
    env = dict(os.environ)
    env.update(plan.get("env", {}))
    server = StdioServerParameters(command=plan["command"], args=plan.get("args", []), env=env)
    async with stdio_client(server) as (read, write):
        return await session_of(plan, read, write)


async def session_of(plan, read, write):
    out = {"tools": [], "results": []}
    if True:
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            out["tools"] = [tool.name for tool in listed.tools]
            for call in plan.get("calls", []):
                try:
                    result = await session.call_tool(call["tool"], call.get("arguments", {}))
                    text = "\n".join(getattr(block, "text", "") for block in result.content)
                    out["results"].append({"is_error": bool(getattr(result, "is_error", getattr(result, "isError", False))), "text": text})
                except Exception as error:  # an MCP error answer, not a tool result
                    out["results"].append({"exception": str(error)})
    return out


if __name__ == "__main__":
    try:
        print(json.dumps(asyncio.run(main(json.load(sys.stdin)))))
    except Exception as error:  # the session itself failed (refused, unreachable)
        print(json.dumps({"session_error": repr(error)}))
