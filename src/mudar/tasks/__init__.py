"""What users do with the features and models: rhythm detection, embedding, classification,
retrieval, retargeting and sync repair. Tasks read analyses and embeddings; they never decode."""
