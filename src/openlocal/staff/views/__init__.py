"""Staff pages: sign in, the queue, and the request workspace with its actions."""
