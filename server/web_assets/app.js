// The browser pages of extrace serve (filled in by the web UI work).
