//! Vector loaders: fvecs, bvecs, ivecs, npy, CSV (issue 5).
