(ns authors
  "Logseq's graph parser on a graph: each page's `authors` property as the app reads it, and the pages its
  blocks reference. Prints one EDN map: page name -> {:authors value, :refs [page names]}."
  (:require [logseq.graph-parser.cli :as gp-cli]
            [datascript.core :as d]))
(let [[dir] *command-line-args*
      {:keys [conn]} (gp-cli/parse-graph dir {:verbose false})
      db @conn
      pages (d/q '[:find ?n ?v ?b :where [?b :block/properties ?props] [(get ?props :authors) ?v]
                   [?b :block/page ?p] [?p :block/original-name ?n]] db)]
  (prn (into (sorted-map)
             (for [[n v b] pages]
               [n {:authors (if (coll? v) (vec (sort v)) v)
                   :refs (vec (sort (map :block/original-name (:block/refs (d/entity db b)))))}]))))
