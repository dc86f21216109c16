"""The conversation, on words: its state across turns, reading a message (reading/),
applying it to the state (the one place words become ids), and the conversational turn."""
