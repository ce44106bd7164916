"""latentatlas."""
