"""kserve-gitops: run KServe model serving the GitOps way."""

import os

# jsii (under cdk8s) warns on every start that Node 20 is end-of-life; the machines we run on have Node 20.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

__version__ = "0.1.0"
