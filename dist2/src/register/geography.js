const icb = (code, name, millions, postcodeAreas) => ({
    code,
    name: `NHS ${name} Integrated Care Board`,
    millions,
    postcodeAreas: postcodeAreas.split(' '),
});
export const REGIONS = [
    {
        code: 'Y63',
        name: 'North East and Yorkshire',
        icbs: [
            icb('QHM', 'North East and North Cumbria', 3.0, 'NE SR DH TS DL CA'),
            icb('QOQ', 'Humber and North Yorkshire', 1.7, 'HU YO DN HG'),
            icb('QWO', 'West Yorkshire', 2.4, 'LS BD WF HX HD'),
            icb('QF7', 'South Yorkshire', 1.4, 'S DN'),
        ],
    },
    {
        code: 'Y62',
        name: 'North West',
        icbs: [
            icb('QYG', 'Cheshire and Merseyside', 2.7, 'L CH WA CW'),
            icb('QE1', 'Lancashire and South Cumbria', 1.8, 'PR BB FY LA'),
            icb('QOP', 'Greater Manchester', 3.0, 'M BL OL SK WN'),
        ],
    },
    {
        code: 'Y60',
        name: 'Midlands',
        icbs: [
            icb('QNC', 'Staffordshire and Stoke-on-Trent', 1.2, 'ST WS'),
            icb('QOC', 'Shropshire, Telford and Wrekin', 0.5, 'SY TF'),
            icb('QHL', 'Birmingham and Solihull', 1.3, 'B'),
            icb('QUA', 'Black Country', 1.3, 'WV DY WS'),
            icb('QWU', 'Coventry and Warwickshire', 1.0, 'CV'),
            icb('QGH', 'Herefordshire and Worcestershire', 0.8, 'HR WR'),
            icb('QK1', 'Leicester, Leicestershire and Rutland', 1.1, 'LE'),
            icb('QJ2', 'Derby and Derbyshire', 1.1, 'DE'),
            icb('QPM', 'Northamptonshire', 0.8, 'NN'),
            icb('QT1', 'Nottingham and Nottinghamshire', 1.1, 'NG'),
            icb('QJM', 'Lincolnshire', 0.8, 'LN PE'),
        ],
    },
    {
        code: 'Y61',
        name: 'East of England',
        icbs: [
            icb('QMM', 'Norfolk and Waveney', 1.1, 'NR'),
            icb('QJG', 'Suffolk and North East Essex', 1.0, 'IP CO'),
            icb('QM7', 'Hertfordshire and West Essex', 1.6, 'AL SG WD EN CM'),
            icb('QH8', 'Mid and South Essex', 1.2, 'SS CM RM'),
            icb('QHG', 'Bedfordshire, Luton and Milton Keynes', 1.1, 'LU MK'),
            icb('QUE', 'Cambridgeshire and Peterborough', 1.0, 'CB PE'),
        ],
    },
    {
        code: 'Y56',
        name: 'London',
        icbs: [
            icb('QRV', 'North West London', 2.1, 'W NW HA UB TW'),
            icb('QMJ', 'North Central London', 1.5, 'N NW EN'),
            icb('QMF', 'North East London', 2.1, 'E IG RM'),
            icb('QKK', 'South East London', 1.9, 'SE BR DA'),
            icb('QWE', 'South West London', 1.5, 'SW SM CR KT'),
        ],
    },
    {
        code: 'Y59',
        name: 'South East',
        icbs: [
            icb('QKS', 'Kent and Medway', 1.9, 'ME CT TN DA'),
            icb('QXU', 'Surrey Heartlands', 1.1, 'GU KT RH'),
            icb('QNX', 'Sussex', 1.7, 'BN RH TN'),
            icb('QNQ', 'Frimley', 0.8, 'GU SL'),
            icb('QRL', 'Hampshire and Isle of Wight', 1.9, 'SO PO SP'),
            icb('QU9', 'Buckinghamshire, Oxfordshire and Berkshire West', 1.8, 'OX RG HP'),
        ],
    },
    {
        code: 'Y58',
        name: 'South West',
        icbs: [
            icb('QT6', 'Cornwall and the Isles of Scilly', 0.6, 'TR PL'),
            icb('QJK', 'Devon', 1.2, 'EX PL TQ'),
            icb('QSL', 'Somerset', 0.6, 'TA BA'),
            icb('QUY', 'Bristol, North Somerset and South Gloucestershire', 1.0, 'BS'),
            icb('QOX', 'Bath and North East Somerset, Swindon and Wiltshire', 0.95, 'BA SN SP'),
            icb('QVV', 'Dorset', 0.8, 'BH DT'),
            icb('QR1', 'Gloucestershire', 0.7, 'GL'),
        ],
    },
];
//# sourceMappingURL=geography.js.map