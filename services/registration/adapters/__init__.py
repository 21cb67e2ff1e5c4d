"""What registration talks to outside its database and broker: the document store and the signing
keys of its tokens."""
