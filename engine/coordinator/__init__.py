"""The classic consumer-group coordinator: membership state machine, committed offsets, __consumer_offsets."""
