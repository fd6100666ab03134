graph [
  directed 1
  node_default [
  ]
  edge_default [
  ]
  Access 0
  Backbone 1
  Commercial 0
  Creator "Topology Zoo Toolset"
  Customer 0
  DateModifier "="
  DateMonth "02"
  DateObtained "3/02/11"
  DateType "Historic"
  DateYear "2005"
  Developed 0
  GeoExtent "Country"
  GeoLocation "US"
  IX 0
  LastAccess "3/02/11"
  LastProcessed "2011_09_01"
  Layer "IP"
  Network "Abilene"
  NetworkDate "2005_02"
  Provenance "Primary"
  Source "http://www.internet2.edu/pubs/200502-IS-AN.pdf"
  Testbed 0
  Transit 0
  Type "REN"
  Version "1.0"
  node [
    id 0
    label "Seattle"
    Internal 1
    description ""
    x "78.0991973877"
    y "43.3968009949"
    shape_type "ellipse"
  ]
  node [
    id 1
    label "Sunnyvale"
    Internal 1
    description ""
    x "49.0176010132"
    y "161.361602783"
    shape_type "ellipse"
  ]
  node [
    id 2
    label "Los Angeles"
    Internal 1
    description ""
    x "60.8959999084"
    y "203.140792847"
    shape_type "ellipse"
  ]
  node [
    id 3
    label "Denver"
    Internal 1
    description ""
    x "202.207992554"
    y "172.011199951"
    shape_type "ellipse"
  ]
  node [
    id 4
    label "Kansas City"
    Internal 1
    description ""
    x "303.379211426"
    y "183.070404053"
    shape_type "ellipse"
  ]
  node [
    id 5
    label "Houston"
    Internal 1
    description ""
    x "299.283203125"
    y "291.6144104"
    shape_type "ellipse"
  ]
  node [
    id 6
    label "Atlanta"
    Internal 1
    description ""
    x "412.742401123"
    y "232.222396851"
    shape_type "ellipse"
  ]
  node [
    id 7
    label "Indianapolis"
    Internal 1
    description ""
    x "377.516815186"
    y "167.095993042"
    shape_type "ellipse"
  ]
  node [
    id 8
    label "Chicago"
    Internal 1
    description ""
    x "353.760009766"
    y "144.977600098"
    shape_type "ellipse"
  ]
  node [
    id 9
    label "Washington DC"
    Internal 1
    description ""
    x "467.219207764"
    y "173.240005493"
    shape_type "ellipse"
  ]
  node [
    id 10
    label "New York"
    Internal 1
    description ""
    x "486.060791016"
    y "133.508804321"
    shape_type "ellipse"
  ]
  edge [
    source 0
    target 1
    label "OC-192c"
    description ""
    id "e0"
  ]
  edge [
    source 0
    target 3
    label "OC-192c"
    description ""
    id "e1"
  ]
  edge [
    source 1
    target 2
    label "OC-192c"
    description ""
    id "e2"
  ]
  edge [
    source 1
    target 3
    label "OC-192c"
    description ""
    id "e3"
  ]
  edge [
    source 2
    target 5
    label "OC-192c"
    description ""
    id "e4"
  ]
  edge [
    source 3
    target 4
    label "OC-192c"
    description ""
    id "e5"
  ]
  edge [
    source 4
    target 5
    label "OC-192c"
    description ""
    id "e6"
  ]
  edge [
    source 4
    target 7
    label "OC-192c"
    description ""
    id "e7"
  ]
  edge [
    source 5
    target 6
    label "OC-192c"
    description ""
    id "e8"
  ]
  edge [
    source 6
    target 9
    label "OC-192c"
    description ""
    id "e9"
  ]
  edge [
    source 6
    target 7
    label "OC-192c"
    description ""
    id "e10"
  ]
  edge [
    source 7
    target 8
    label "OC-192c"
    description ""
    id "e11"
  ]
  edge [
    source 8
    target 10
    label "OC-192c"
    description ""
    id "e12"
  ]
  edge [
    source 9
    target 10
    label "OC-192c"
    description ""
    id "e13"
  ]
]
