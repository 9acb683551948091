"""Components, ISBT 128 labels and inventory (issue 7). So far: the pure rules — dating
(expiry) and ABO/RhD compatibility — with their validation case runners."""
