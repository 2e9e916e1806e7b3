/** An app that builds its own inference worker imports baton-ml/worker into it. */
import 'baton-ml/worker';
