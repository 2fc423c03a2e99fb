"""Code generation: OpenAI's OpenAPI document -> schema/ -> realtime_sdk/_generated/."""
