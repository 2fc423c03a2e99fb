"""realtime-sdk: an asyncio client for OpenAI's Realtime API."""
