"""A real MCP client (the official Python SDK) for the MCP proxy's tests.

Reads a JSON plan on standard input: {"command": ..., "args": [...],
"env": {...}, "calls": [{"tool": ..., "arguments": {...}}]}; starts the
server command over stdio, initializes, lists the tools, makes the calls
in order, and prints one JSON object: {"tools": [names], "results":
[{"is_error": bool, "text": "..."} or {"exception": "..."}]}.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main(plan):
    env = dict(os.environ)
    env.update(plan.get("env", {}))
    server = StdioServerParameters(command=plan["command"], args=plan.get("args", []), env=env)
    out = {"tools": [], "results": []}
    async with stdio_client(server) as (read, write):
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
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(json.load(sys.stdin)))
